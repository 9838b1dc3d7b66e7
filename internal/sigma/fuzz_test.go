package sigma

import (
	"testing"

	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/rules"
)

// FuzzParse: any rule text either compiles or is refused with ErrRule-wrapped
// errors; a compiled rule evaluates any event without panicking.
func FuzzParse(f *testing.F) {
	ents, _ := rules.FS.ReadDir(".")
	for _, e := range ents {
		raw, err := rules.FS.ReadFile(e.Name())
		if err == nil {
			f.Add(string(raw))
		}
	}
	f.Add("title: x\ndetection:\n  s:\n    user|re: '(a+)+$'\n  condition: s | count(user) by src_ip > 1\n  timeframe: 1s")
	f.Add("title: x\ndetection:\n  s:\n    - user: a\n    - src_ip|cidr: ::/0\n  condition: not (1 of s* and all of them)")
	f.Fuzz(func(_ *testing.T, text string) {
		r, err := Parse("fuzz.yml", []byte(text))
		if err != nil {
			return
		}
		ev := &event.Event{User: "a", Command: "FETCH", CommandArgs: "1:* (BODY.PEEK[])"}
		r.Eval(ev)
		r.Eval(&event.Event{})
	})
}
