// Package source maps raw log lines onto stixcel's normalized events (docs/events.md) with source
// profiles: YAML files that give each output field as CEL over the raw JSON object.
//
// A profile looks like this (the built-in windows profile, profiles/windows.yaml, documents
// the format in full in its opening comment):
//
//	name: windows
//	maps:                          # lookup tables: maps.log_sources in CEL, map(string, string)
//	  log_sources:
//	    security: WinEventLog:Security
//	fields:                        # output field: CEL over raw, or a list tried in order
//	  time: [parse_time(raw.TimeCreated), 'parse_time(raw["@timestamp"])']
//	  log_source: 'maps.log_sources[?raw.Channel.lowerAscii()].orValue("WinEventLog:" + raw.Channel)'
//	  EventCode: int(raw.EventID)
//	keep_raw: true                 # also copy the raw fields (output fields win)
//	lift: [raw.winlog.event_data]  # objects whose members become fields under their own names
//	lift_values: strings           # lifted values as Windows renders them (4460 -> "4460")
//	shapes:                        # the raw shapes it reads, implied without --source (NewImplied)
//	  ecs: has(raw.winlog.channel)
//
// `time` and `log_source` are required: a line whose profile gives no time or no log source is
// rejected. For the other fields an evaluation error or a null leaves the field out.
//
// Load compiles a profile once (errors as file:line:col naming the field); a Profile is
// immutable and safe for concurrent use. Profile.Normalize maps one decoded object; NewDecoder
// makes a profile an event.Decoder, so that event.Reader reads raw JSONL through it with the
// same accounting as normalized JSONL: every line is read, then processed or rejected with
// file, line, reason and raw bytes. Lines may be up to event.MaxLineBytes (16 MiB) long, and
// must be valid UTF-8.
package source
