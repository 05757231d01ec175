package decode

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
)

// Snapshot decodes one IDR access unit (with the stream's SPS and PPS) on a
// fresh decoder and returns it as a JPEG of the given quality (1–100),
// scaled down with libswscale to at most maxWidth pixels wide, keeping the
// aspect ratio (maxWidth <= 0: full size). It is for timeline thumbnails.
// An access unit that does not decode to a clean picture is an error.
func Snapshot(sps, pps []byte, keyframe [][]byte, maxWidth int, quality int) ([]byte, error) {
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("decode: snapshot: JPEG quality %d is not between 1 and 100", quality)
	}
	if len(sps) == 0 || len(pps) == 0 {
		return nil, errors.New("decode: snapshot: SPS and PPS are required")
	}
	if len(keyframe) == 0 {
		return nil, errors.New("decode: snapshot: empty access unit")
	}
	d, err := New()
	if err != nil {
		return nil, err
	}
	defer d.Close()

	au := make([][]byte, 0, 2+len(keyframe))
	au = append(au, sps, pps)
	au = append(au, keyframe...)
	f, err := d.Decode(au)
	if err != nil {
		return nil, err
	}
	if f == nil {
		// The decoder may hold the picture for reordering: drain it.
		if f, err = d.Flush(); err != nil {
			return nil, err
		}
	}
	if f == nil {
		return nil, errors.New("decode: snapshot: the access unit gave no picture (not an IDR, or damaged)")
	}
	if f.Corrupt {
		return nil, errors.New("decode: snapshot: the picture is damaged (libavcodec concealed errors)")
	}
	img := f.Thumbnail(maxWidth)
	if img == nil {
		return nil, errors.New("decode: snapshot: scaling the picture failed")
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
