// Package event is stixcel's event layer: the normalized event (docs/events.md), the one reader of
// JSONL input, and the view through which CEL reads an event's fields.
//
// Reader reads one JSON object per line through a Decoder and accounts for every line: each is
// an event or a Rejection with its file, line, reason and raw bytes, and read = processed +
// rejected. Lines may be up to MaxLineBytes (16 MiB) long; a 5 MB event is ordinary input.
// Normalized decodes normalized events (`time` and `log_source` required); package source
// provides decoders that map raw logs through a source profile.
//
// Events read from lines are backed by their text (NewRaw): their fields are read when a
// plan reads them. FieldView shows one event at a time to CEL as a map — `event` in channel
// predicates, `raw` in source profiles — reading each field once per event; Slots numbers the
// fields compiled programs read, so that they reach them by number.
//
// The runtime consumes events through this package only; it imports neither the compiler
// nor STIX.
package event
