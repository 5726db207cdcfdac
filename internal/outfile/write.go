package outfile

import (
	"bufio"
	"io"
)

// Write writes the output path with write, buffered, as Create and Commit do: whole or not
// at all, and never over one of inputs (nil: no inputs). When write, the flush or the
// commit fails, the old output is left as it was and the error is returned.
func Write(path string, inputs *Inputs, write func(io.Writer) error) error {
	f, err := Create(path, inputs)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Commit()
	}
	if err != nil {
		f.Abort()
		return err
	}
	return nil
}
