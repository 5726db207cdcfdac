package source

import (
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/internal/jsonl"
)

// zonelessLayouts are the time layouts without a zone that parse_time accepts, as UTC. Go
// accepts any fraction of seconds after the seconds field in all of them.
var zonelessLayouts = [...]string{"2006-01-02 15:04:05", "2006-01-02T15:04:05"}

// parseTime reads RFC 3339, or a date and time without a zone (UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range zonelessLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &timeError{value: s}
}

type timeError struct{ value string }

func (e *timeError) Error() string {
	return "parse_time: " + jsonl.Quote(e.value) + " is neither RFC 3339 nor \"YYYY-MM-DD hh:mm:ss[.fff]\""
}

// timeFunctions declares parse_time(string) and parse_time(string, layout).
func timeFunctions() cel.EnvOption {
	return cel.Function("parse_time",
		cel.Overload("parse_time_string", []*cel.Type{cel.StringType}, cel.TimestampType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, ok := v.(types.String)
				if !ok {
					return types.MaybeNoSuchOverloadErr(v)
				}
				t, err := parseTime(string(s))
				if err != nil {
					return types.WrapErr(err)
				}
				return types.Timestamp{Time: t}
			})),
		cel.Overload("parse_time_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.TimestampType,
			cel.BinaryBinding(func(v, layout ref.Val) ref.Val {
				s, ok1 := v.(types.String)
				l, ok2 := layout.(types.String)
				if !ok1 || !ok2 {
					return types.MaybeNoSuchOverloadErr(v)
				}
				t, err := time.Parse(string(l), string(s))
				if err != nil {
					return types.NewErr("parse_time: %s does not match layout %s", jsonl.Quote(string(s)), jsonl.Quote(string(l)))
				}
				return types.Timestamp{Time: t.UTC()}
			})),
	)
}

// stringFunctions declares string.lowerAscii() as in cel-go's strings extension (which needs a
// module stixcel does not depend on): ASCII letters lowered, other characters kept.
func stringFunctions() cel.EnvOption {
	return cel.Function("lowerAscii",
		cel.MemberOverload("string_lower_ascii", []*cel.Type{cel.StringType}, cel.StringType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, ok := v.(types.String)
				if !ok {
					return types.MaybeNoSuchOverloadErr(v)
				}
				return types.String(celenv.LowerASCII(string(s)))
			})),
	)
}
