// Package jsonl reads JSON Lines input for stixcel's event reader (event.Reader, whose decoders
// read normalized events or raw logs through a source profile): it splits the input into numbered lines,
// rejects the lines no reader can use, and decodes JSON values the way events hold them.
//
// Lines. Reader.Next returns every line with its 1-based number, without its "\n" or
// "\r\n"; a final newline does not start a new line. A UTF-8 byte order mark at the start
// of the input (line 1 only) is skipped. A line is rejected at this level, with
// a Reason, when it is
//   - longer than MaxLineBytes (16 MiB; the terminator does not count): it is read to its
//     end and skipped, and only its first KeptBytes (1 MiB) are kept in Line.Text, so that a
//     rejects file shows what it was without holding it all;
//   - empty or white space only;
//   - not valid UTF-8 (encoding/json would silently replace the bad bytes).
//
// Values. Decode decodes exactly one JSON value as encoding/json does, except numbers:
// whole numbers that fit are int64, the others float64 (±Inf when they overflow). Most
// lines are decoded with gjson, about twice as fast; lines that gjson would read differently
// (Simple says which) and invalid ones go through encoding/json, whose errors say what is
// wrong, with the 1-based column (in characters) of the byte at fault (SyntaxError).
package jsonl
