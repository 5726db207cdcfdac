// Package winlog turns the bytes of a Windows log input into JSON records, one per line, for
// the line-based event reader (event.Reader): it recognises what an input holds by its content,
// never by its name, and reads
//   - EVTX files (magic "ElfFile\x00"), every record rendered as the evtx_dump/Chainsaw JSON
//     object {"Event": {"System": {...}, "EventData": {...}}} with "#attributes", typed
//     values (numbers as numbers, HexInt as "0x…", GUIDs upper case without braces, times as
//     RFC 3339 UTC with microseconds, as evtx_dump writes them: the 100 ns digit is dropped);
//   - rendered XML, one <Event> per line (Splunk's XmlWinEventLog) or indented and back to
//     back (wevtutil qe /f:xml, an <Events> export), into the same JSON shape; values are the
//     XML's text, except the numeric System fields (EventID, Level, ...), which become
//     numbers, and SystemTime, given microseconds, as in evtx_dump's output;
//   - a stream of JSON objects that is not one per line (evtx_dump's pretty output, with or
//     without its "Record N" lines, or a JSON array), re-emitted one object per line;
//   - JSON lines, passed through unchanged;
//   - any of these compressed with gzip (by its magic bytes), and text in UTF-16 with a byte
//     order mark (as Windows PowerShell 5 redirects it to a file) read as UTF-8.
//
// Line numbers. A JSON record's Line.Number is the line it starts on in its input (for gzip,
// in the decompressed text); an EVTX record's is its record number in the file (the record
// header's, from which evtx_dump numbers its "Record N"; an export renumbers them from 1, while
// System's EventRecordID keeps the number the record had in the log it came from).
//
// Accounting. Nothing is skipped silently: an EVTX chunk whose header or data checksum does
// not match, a truncated chunk, a record whose header or binary XML is damaged, and an XML
// event that does not parse each come back as a rejected Line (Reason ReasonBadEVTX or
// ReasonBadXML, Detail naming the byte offset in the file), one per record found, so that the
// reader counts them and read = processed + rejected holds over the records of the file (the
// records after a damaged record header, which cannot be found, are rejected by the record
// numbers the chunk's header gives).
package winlog
