package plan

import (
	"fmt"

	"github.com/stixcel/stixcel/internal/bounded"
)

// ReadRunnableFile reads the artifact at path, bounded in size (bounded.MaxArtifactSize)
// and nesting as it is read, and decodes the plans a run evaluates, hunting or not (Runs).
// A decoding error names path.
func ReadRunnableFile(path string, hunting bool) (*Set, error) {
	data, err := bounded.ReadFile(path, bounded.MaxArtifactSize, "plan artifact",
		bounded.NewJSON(path, bounded.MaxJSONDepth).Write)
	if err != nil {
		return nil, err
	}
	set, err := ParseRunnable(data, func(k Kind, huntSource bool) bool { return Runs(k, huntSource, hunting) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return set, nil
}
