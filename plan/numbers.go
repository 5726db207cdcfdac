package plan

import (
	"bytes"
	"encoding/json"
)

// The artifact's free-form values (a parameter's value, a route's values) keep their numbers
// as json.Number, exact whatever their size, however the artifact is decoded: a Decoder
// with UseNumber (Read) or json.Unmarshal of a plan's own bytes (parseRunnable, which thus
// copies nothing into a Decoder's buffer).

// UnmarshalJSON decodes a parameter, its value's numbers as json.Number.
func (prm *Param) UnmarshalJSON(data []byte) error {
	type param Param // without this method
	var p struct {
		*param
		Value json.RawMessage `json:"value"`
	}
	p.param = (*param)(prm)
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	if p.Value != nil {
		return decodeNumbers(p.Value, &prm.Value)
	}
	return nil
}

// UnmarshalJSON decodes a route, its values' numbers as json.Number.
func (r *Route) UnmarshalJSON(data []byte) error {
	type route Route // without this method
	var p struct {
		*route
		Values json.RawMessage `json:"values"`
	}
	p.route = (*route)(r)
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	if p.Values != nil {
		return decodeNumbers(p.Values, &r.Values)
	}
	return nil
}

// decodeNumbers decodes one JSON value into v, its numbers as json.Number.
func decodeNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}
