package sim

import (
	"image"
	"image/color"
	"math"
)

// The PTZ scene: a 16:9 panorama of 16x9 square blocks, numbered 1 to 144 row by row from the
// top left, each filled with one of 8 colours (horizontal and vertical neighbours differ
// strongly in brightness), outlined in black, its number in the middle. A PTZ camera shows a
// window over it: pan and tilt move the window, zoom shrinks it, so a test can tell from the
// picture where the camera points (PTZBlockAt).

const (
	ptzCols  = 16
	ptzRows  = 9
	ptzCells = 16 // a block is drawn on a 16x16 grid of cells: border, digits
	// ptzWideView is the window's size at zoom 0, as a fraction of the panorama; zoom 1 is 4x
	// closer.
	ptzWideView = 0.5
	ptzMaxZoom  = 4.0
)

// ptzPalette: consecutive entries, and entries 3 apart (the block below), differ in luma.
var ptzPalette = [8]color.RGBA{
	{20, 30, 120, 255},   // navy
	{240, 220, 40, 255},  // yellow
	{150, 20, 20, 255},   // dark red
	{60, 220, 230, 255},  // cyan
	{20, 110, 30, 255},   // dark green
	{250, 150, 200, 255}, // pink
	{110, 40, 150, 255},  // purple
	{250, 140, 20, 255},  // orange
}

// ptzYCbCr is the palette in studio-range YCbCr, with the digits' luma for each colour.
var ptzYCbCr = func() (out [8][4]uint8) {
	for i, c := range ptzPalette {
		y, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B) // full range
		y = uint8(16 + int(y)*219/255)
		text := uint8(235)
		if y > 128 {
			text = 16
		}
		out[i] = [4]uint8{y, cb, cr, text}
	}
	return out
}()

// ptzDigits is a 3x5 font, one row a byte, bit 2 the left column.
var ptzDigits = [10][5]uint8{
	{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
	{7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
}

// PTZWindow returns the part of the panorama a camera at p shows: its top left corner and
// its side, as fractions of the panorama's width and height.
func PTZWindow(p PTZPosition) (x0, y0, size float64) {
	p = p.clamp()
	size = ptzWideView / (1 + (ptzMaxZoom-1)*p.Zoom)
	cx := 0.5 + p.Pan*(1-size)/2
	cy := 0.5 - p.Tilt*(1-size)/2
	return cx - size/2, cy - size/2, size
}

// PTZBlockAt returns the number (1..144) of the block a camera at p shows at (x, y), fractions
// of the picture's width and height: (0.5, 0.5) is the centre.
func PTZBlockAt(p PTZPosition, x, y float64) int {
	x0, y0, size := PTZWindow(p)
	col := min(max(int(math.Floor((x0+x*size)*ptzCols)), 0), ptzCols-1)
	row := min(max(int(math.Floor((y0+y*size)*ptzRows)), 0), ptzRows-1)
	return row*ptzCols + col + 1
}

// ptzRenderer draws the view into a reused picture.
type ptzRenderer struct {
	img  *image.YCbCr
	cols []uint16 // per picture column: block column << 4 | cell column
	rows []uint16 // per picture row: the same for rows
}

// RenderPTZView draws what a camera at p shows into dst (4:2:0 studio range, any size).
func RenderPTZView(dst *image.YCbCr, p PTZPosition) {
	r := &ptzRenderer{img: dst, cols: make([]uint16, dst.Rect.Dx()), rows: make([]uint16, dst.Rect.Dy())}
	r.render(p)
}

// axisKeys maps n picture pixels onto blocks and cells: pixel i samples fraction
// start+(i+0.5)/n*size of a panorama blocks long.
func axisKeys(keys []uint16, start, size float64, blocks int) {
	n := float64(len(keys))
	for i := range keys {
		v := (start + (float64(i)+0.5)/n*size) * float64(blocks)
		b := min(max(int(v), 0), blocks-1)
		cell := min(max(int((v-float64(b))*ptzCells), 0), ptzCells-1)
		keys[i] = uint16(b<<4 | cell)
	}
}

func (r *ptzRenderer) render(p PTZPosition) {
	x0, y0, size := PTZWindow(p)
	axisKeys(r.cols, x0, size, ptzCols)
	axisKeys(r.rows, y0, size, ptzRows)
	img := r.img
	w := img.Rect.Dx()
	prev := -1
	for y, key := range r.rows {
		line := img.Y[y*img.YStride : y*img.YStride+w]
		if int(key) == prev { // rows on the same cell row are the same
			copy(line, img.Y[(y-1)*img.YStride:])
			continue
		}
		prev = int(key)
		r.lumaRow(line, int(key>>4), int(key&15))
	}
	for cy := 0; cy < (img.Rect.Dy()+1)/2; cy++ {
		brow := int(r.rows[2*cy] >> 4)
		cb := img.Cb[cy*img.CStride:]
		cr := img.Cr[cy*img.CStride:]
		for cx := 0; cx < (w+1)/2; cx++ {
			c := &ptzYCbCr[ptzColour(int(r.cols[2*cx]>>4), brow)]
			cb[cx], cr[cx] = c[1], c[2]
		}
	}
}

func ptzColour(col, row int) int { return (col + 3*row) % len(ptzPalette) }

// lumaRow draws one picture row lying on cell row cell of block row brow.
func (r *ptzRenderer) lumaRow(line []byte, brow, cell int) {
	border := cell == 0 || cell == ptzCells-1
	glyphRow := cell - 5 // digits on cell rows 5..9
	for x, key := range r.cols {
		bcol, ccell := int(key>>4), int(key&15)
		c := &ptzYCbCr[ptzColour(bcol, brow)]
		switch {
		case border || ccell == 0 || ccell == ptzCells-1:
			line[x] = 16
		case glyphRow >= 0 && glyphRow < 5 && ptzDigitOn(brow*ptzCols+bcol+1, ccell, glyphRow):
			line[x] = c[3]
		default:
			line[x] = c[0]
		}
	}
}

// ptzDigitOn reports whether cell column ccell of glyph row gr is inked in number n (three
// digits on cell columns 2-4, 6-8 and 10-12).
func ptzDigitOn(n, ccell, gr int) bool {
	pos := ccell - 2
	if pos < 0 || pos >= 11 || pos%4 == 3 {
		return false
	}
	d := [3]int{n / 100 % 10, n / 10 % 10, n % 10}[pos/4]
	return ptzDigits[d][gr]>>(2-pos%4)&1 != 0
}
