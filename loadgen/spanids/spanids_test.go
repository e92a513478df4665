package spanids

import (
	"context"
	"testing"
)

func TestDeterministicAndDistinct(t *testing.T) {
	t1, s1 := For("req-1")
	t2, s2 := For("req-1")
	t3, s3 := For("req-2")
	if t1 != t2 || s1 != s2 {
		t.Error("same invocation, different ids")
	}
	if t1 == t3 || s1 == s3 || !t1.IsValid() || !s1.IsValid() {
		t.Error("ids not distinct or not valid")
	}
	ctx := WithInvocation(context.Background(), "req-1")
	if gt, gs := (Generator{}).NewIDs(ctx); gt != t1 || gs != s1 {
		t.Error("generator's root ids differ from For")
	}
	if c := (Generator{}).NewSpanID(ctx, t1); c == s1 || !c.IsValid() {
		t.Error("child span id equals the root's or is invalid")
	}
}
