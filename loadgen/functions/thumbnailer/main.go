// Command thumbnailer decodes an image, scales it down and encodes a JPEG
// with the standard library (SeBS's thumbnailer). Its INIT phase generates
// and encodes the source image, standing in for loading an asset.
package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"github.com/faasight/faasight/loadgen/functions/fnkit"
)

// Event gives the thumbnail's bounding box.
type Event struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Response describes the thumbnail.
type Response struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	Bytes  int `json:"bytes"`
}

// sourcePNG builds a w×h gradient image and encodes it as PNG.
func sourcePNG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // encoding an in-memory RGBA image cannot fail
	}
	return b.Bytes()
}

type thumbnailer struct{ source []byte }

func (t *thumbnailer) handle(_ context.Context, e Event) (Response, error) {
	if e.Width <= 0 || e.Height <= 0 || e.Width > 4096 || e.Height > 4096 {
		return Response{}, fmt.Errorf("width and height must be 1..4096, got %dx%d", e.Width, e.Height)
	}
	src, err := png.Decode(bytes.NewReader(t.source))
	if err != nil {
		return Response{}, fmt.Errorf("decode source: %w", err)
	}
	dst := resize(src, e.Width, e.Height)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, dst, &jpeg.Options{Quality: 85}); err != nil {
		return Response{}, err
	}
	return Response{Width: dst.Bounds().Dx(), Height: dst.Bounds().Dy(), Bytes: b.Len()}, nil
}

// resize scales src to fit in w×h keeping its aspect ratio, averaging the
// source pixels each target pixel covers (a box filter: the standard
// library has no scaler).
func resize(src image.Image, w, h int) *image.RGBA {
	sb := src.Bounds()
	scale := min(float64(w)/float64(sb.Dx()), float64(h)/float64(sb.Dy()), 1)
	tw, th := max(1, int(float64(sb.Dx())*scale)), max(1, int(float64(sb.Dy())*scale))
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	for y := 0; y < th; y++ {
		y0, y1 := sb.Min.Y+y*sb.Dy()/th, sb.Min.Y+(y+1)*sb.Dy()/th
		for x := 0; x < tw; x++ {
			x0, x1 := sb.Min.X+x*sb.Dx()/tw, sb.Min.X+(x+1)*sb.Dx()/tw
			var r, g, b, a, n uint64
			for sy := y0; sy < max(y1, y0+1); sy++ {
				for sx := x0; sx < max(x1, x0+1); sx++ {
					cr, cg, cb, ca := src.At(sx, sy).RGBA()
					r, g, b, a, n = r+uint64(cr), g+uint64(cg), b+uint64(cb), a+uint64(ca), n+1
				}
			}
			dst.Set(x, y, color.RGBA64{uint16(r / n), uint16(g / n), uint16(b / n), uint16(a / n)})
		}
	}
	return dst
}

func main() {
	t := &thumbnailer{source: sourcePNG(1024, 768)}
	fnkit.Start("thumbnailer", t.handle)
}
