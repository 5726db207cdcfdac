package celenv

import (
	"fmt"
	"sort"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/stixcel/stixcel/plan"
)

// Type names of the declared object types.
const (
	ParamsType   = "stixcel.Params"
	ChannelsType = "stixcel.Channels"
	StateType    = "stixcel.ChannelState"
)

// ParamTypes resolves each parameter's declared type.
func ParamTypes(params []*plan.Param) (map[string]*cel.Type, error) {
	out := make(map[string]*cel.Type, len(params))
	for _, p := range params {
		t, err := CELType(p.Type)
		if err != nil {
			return nil, fmt.Errorf("param %s: %w", p.Name, err)
		}
		out[p.Name] = t
	}
	return out, nil
}

// ChannelEnv is the environment of a channel selector or predicate: `event` and `params`.
func ChannelEnv(params []*plan.Param) (*cel.Env, error) {
	pt, err := ParamTypes(params)
	if err != nil {
		return nil, err
	}
	prov := newStructProvider(mustRegistry())
	prov.declare(ParamsType, pt)
	return cel.NewEnv(
		cel.CustomTypeProvider(prov),
		cel.Variable("event", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("params", cel.ObjectType(ParamsType)),
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
		// lowerAscii, upperAscii, indexOf, split, replace, trim, ...: what detections over
		// paths and command lines need without a regular expression per comparison.
		ext.Strings(),
		// event.anyStringMatches(re): Sigma's keyword search.
		textFunctions(),
		// s.containsAny(['a', 'b']): long lists of indicators in one pass.
		containsFunctions(),
		// isIP, cidr('2603:1006::/40').containsIP(...): IPv6 networks, which a pattern over
		// the address text cannot decide (zero hextets may be compressed away).
		ext.Network(),
	)
}

// ConditionEnv is the environment of a plan's condition: c1..cN, `channels` and `params`.
func ConditionEnv(params []*plan.Param, channelIDs []string) (*cel.Env, error) {
	pt, err := ParamTypes(params)
	if err != nil {
		return nil, err
	}
	prov := newStructProvider(mustRegistry())
	prov.declare(ParamsType, pt)
	stateType := cel.ObjectType(StateType)
	chans := make(map[string]*types.Type, len(channelIDs))
	opts := []cel.EnvOption{
		cel.CustomTypeProvider(prov),
		cel.Variable("params", cel.ObjectType(ParamsType)),
		cel.Variable("channels", cel.ObjectType(ChannelsType)),
		cel.CrossTypeNumericComparisons(true),
	}
	ids := append([]string(nil), channelIDs...)
	sort.Strings(ids)
	for _, id := range ids {
		chans[id] = stateType
		opts = append(opts, cel.Variable(id, cel.BoolType))
	}
	prov.declare(ChannelsType, chans)
	prov.declare(StateType, map[string]*types.Type{
		"count": cel.IntType,
		"first": cel.TimestampType,
		"last":  cel.TimestampType,
	})
	opts = append(opts, stateFunctions(stateType)...)
	opts = append(opts, valueFunctions(stateType)...)
	return cel.NewEnv(opts...)
}

// stateFunctions declares the correlation functions over a channel's window state.
func stateFunctions(stateType *cel.Type) []cel.EnvOption {
	return []cel.EnvOption{
		// channels.cN.recurring(tolerance): some series holds at least 3 matches whose
		// consecutive intervals each differ from their mean by at most tolerance.
		cel.Function("recurring",
			cel.MemberOverload("state_recurring_duration", []*cel.Type{stateType, cel.DurationType}, cel.BoolType,
				cel.BinaryBinding(func(s, tol ref.Val) ref.Val {
					return recurringVal(s, tol, types.Int(DefaultRecurrenceMin))
				})),
			cel.MemberOverload("state_recurring_duration_int", []*cel.Type{stateType, cel.DurationType, cel.IntType}, cel.BoolType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					return recurringVal(args[0], args[1], args[2])
				})),
		),
		// channels.cN.distinct(): number of distinct series seen in the window.
		cel.Function("distinct",
			cel.MemberOverload("state_distinct", []*cel.Type{stateType}, cel.IntType,
				cel.UnaryBinding(func(s ref.Val) ref.Val {
					st, ok := s.(*ChannelState)
					if !ok {
						return types.NewErr("distinct: not a channel state")
					}
					return types.Int(st.Distinct())
				})),
		),
	}
}

func recurringVal(s, tol, minCount ref.Val) ref.Val {
	st, ok := s.(*ChannelState)
	if !ok {
		return types.NewErr("recurring: not a channel state")
	}
	d, ok := tol.(types.Duration)
	if !ok {
		return types.NewErr("recurring: tolerance is not a duration")
	}
	n, ok := minCount.(types.Int)
	if !ok {
		return types.NewErr("recurring: count is not an int")
	}
	return types.Bool(st.Recurring(d.Duration, int(n)))
}
