package project

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/stixcel/stixcel/diag"
)

// FileError is a project file with errors in it; Diags holds them, positioned in the file.
type FileError struct {
	Path  string
	Diags diag.Diagnostics
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s: %d error(s) in the project file", e.Path, e.Diags.ErrorCount())
}

func (e *FileError) Unwrap() error { return e.Diags }

// Open returns the project file a command uses: the one config names (relative to dir
// unless absolute) or, with config "", the one Find finds from dir; nil when there is none.
// Errors in the file come back as a *FileError.
func Open(dir, config string) (*File, error) {
	path := config
	switch {
	case path != "" && !filepath.IsAbs(path):
		path = filepath.Join(dir, path)
	case path == "":
		found, err := Find(dir)
		if err != nil {
			return nil, fmt.Errorf("looking for %s: %w", Name, err)
		}
		if found == "" {
			return nil, nil
		}
		path = found
	}
	f, err := Load(path)
	var diags diag.Diagnostics
	if errors.As(err, &diags) {
		return nil, &FileError{Path: path, Diags: diags}
	}
	if err != nil {
		return nil, fmt.Errorf("project file: %w", err)
	}
	return f, nil
}

// Apply feeds the file to a command's flags by the one rule of the project file: its lists
// go before the values of --bundle and --pack (flags add), its single values fill --params,
// --taxonomy and --source where they were not given (flags override). With --plans given (a
// compiled artifact, which needs no bundles or packs) only --source is filled. A key whose
// flag the command does not have is left out.
func (f *File) Apply(fl *pflag.FlagSet) error {
	if err := fillFlag(fl, "source", f.Source); err != nil {
		return err
	}
	if fl.Changed("plans") {
		return nil
	}
	for _, err := range []error{
		prependFlag(fl, "bundle", f.Bundles), prependFlag(fl, "pack", f.Packs), prependFlag(fl, "sigma", f.Sigma),
		fillFlag(fl, "params", f.Params), fillFlag(fl, "taxonomy", f.Taxonomy),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// PacksBefore are the file's packs followed by dirs, the pack directories given as flags or
// arguments (a later pack wins, so the flags' win over the file's); dirs alone for a nil
// file.
func (f *File) PacksBefore(dirs []string) []string {
	if f == nil {
		return dirs
	}
	return append(append([]string(nil), f.Packs...), dirs...)
}

// prependFlag puts values before the values of the list flag name, if there is one.
func prependFlag(fl *pflag.FlagSet, name string, values []string) error {
	flag := fl.Lookup(name)
	if flag == nil || len(values) == 0 {
		return nil
	}
	list, ok := flag.Value.(pflag.SliceValue)
	if !ok {
		return nil
	}
	return list.Replace(append(append([]string(nil), values...), list.GetSlice()...))
}

// fillFlag sets the flag name to value unless it was given or value is "".
func fillFlag(fl *pflag.FlagSet, name, value string) error {
	if value == "" || fl.Lookup(name) == nil || fl.Changed(name) {
		return nil
	}
	return fl.Set(name, value)
}
