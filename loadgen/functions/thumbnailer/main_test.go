package main

import (
	"context"
	"testing"
)

func TestThumbnail(t *testing.T) {
	th := &thumbnailer{source: sourcePNG(400, 300)}
	out, err := th.handle(context.Background(), Event{Width: 100, Height: 100})
	if err != nil {
		t.Fatal(err)
	}
	// 400×300 into 100×100 keeps the 4:3 aspect: 100×75.
	if out.Width != 100 || out.Height != 75 || out.Bytes == 0 {
		t.Errorf("thumbnail %+v, want 100x75", out)
	}
	if _, err := th.handle(context.Background(), Event{Width: 0, Height: 10}); err == nil {
		t.Error("zero width accepted")
	}
}
