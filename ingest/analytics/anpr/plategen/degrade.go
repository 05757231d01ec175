package plategen

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// degrade applies cond to the canvas and returns the final picture.
func degrade(c *canvas, cond Conditions) *image.RGBA {
	rng := rand.New(rand.NewPCG(cond.Seed, 0x6e6f697365))
	if cond.Light == NightIR {
		c.grey()
	}
	c.light(cond)
	if cond.Bloom > 0 {
		c.bloom(cond.Bloom)
	}
	if cond.MotionLen > 1 {
		c.motion(cond.MotionLen, cond.MotionAngle)
	}
	if cond.Defocus > 0.3 {
		c.gauss(cond.Defocus)
	}
	c.sensor(cond, rng)
	img := c.rgba()
	if cond.JPEGQuality > 0 {
		img = jpegRoundTrip(img, cond.JPEGQuality)
	}
	return img
}

// grey turns the picture monochrome, as an IR camera sees it.
func (c *canvas) grey() {
	for i := 0; i < c.w*c.h; i++ {
		p := c.pix[3*i : 3*i+3]
		v := 0.299*p[0] + 0.587*p[1] + 0.114*p[2]
		p[0], p[1], p[2] = v, v, v
	}
}

// light multiplies by a linear gradient and a soft-edged shadow.
func (c *canvas) light(cond Conditions) {
	gx := (hash01(cond.Seed, 1)*2 - 1) * cond.Uneven
	gy := (hash01(cond.Seed, 2)*2 - 1) * cond.Uneven
	nx, ny := math.Cos(cond.ShadowAngle), math.Sin(cond.ShadowAngle)
	ox, oy := cond.ShadowAt.X*float64(c.w), cond.ShadowAt.Y*float64(c.h)
	soft := 1 + 0.05*float64(c.h)
	for y := 0; y < c.h; y++ {
		fy := float64(y)/float64(c.h) - 0.5
		for x := 0; x < c.w; x++ {
			g := 1 + gx*(float64(x)/float64(c.w)-0.5) + gy*fy
			if cond.Shadow > 0 {
				d := (float64(x)-ox)*nx + (float64(y)-oy)*ny
				t := math.Max(0, math.Min(1, d/soft+0.5))
				g *= 1 - cond.Shadow*t
			}
			p := c.pix[3*(y*c.w+x):]
			p[0] *= float32(g)
			p[1] *= float32(g)
			p[2] *= float32(g)
		}
	}
}

// bloom adds a halo around bright (over-exposed) parts.
func (c *canvas) bloom(k float64) {
	b := &canvas{w: c.w, h: c.h, pix: make([]float32, len(c.pix))}
	for i, v := range c.pix {
		b.pix[i] = max(v-0.75, 0)
	}
	b.gauss(0.02*float64(c.h) + 2)
	for i := range c.pix {
		c.pix[i] += float32(k) * 3 * b.pix[i]
	}
}

// motion smears the picture along a line of length l pixels.
func (c *canvas) motion(l, angle float64) {
	n := int(math.Ceil(l)) + 1
	dx, dy := math.Cos(angle), math.Sin(angle)
	out := make([]float32, len(c.pix))
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			var s [3]float32
			for k := 0; k < n; k++ {
				t := (float64(k)/float64(n-1) - 0.5) * l
				c.sample(float64(x)+t*dx, float64(y)+t*dy, &s)
			}
			o := out[3*(y*c.w+x):]
			o[0], o[1], o[2] = s[0]/float32(n), s[1]/float32(n), s[2]/float32(n)
		}
	}
	c.pix = out
}

// sample adds the bilinear sample at (x, y) (edges clamped) to s.
func (c *canvas) sample(x, y float64, s *[3]float32) {
	x = math.Max(0, math.Min(float64(c.w-1), x))
	y = math.Max(0, math.Min(float64(c.h-1), y))
	ix, iy := int(x), int(y)
	ix1, iy1 := min(ix+1, c.w-1), min(iy+1, c.h-1)
	tx, ty := float32(x-float64(ix)), float32(y-float64(iy))
	for k := 0; k < 3; k++ {
		a := c.pix[3*(iy*c.w+ix)+k]*(1-tx) + c.pix[3*(iy*c.w+ix1)+k]*tx
		b := c.pix[3*(iy1*c.w+ix)+k]*(1-tx) + c.pix[3*(iy1*c.w+ix1)+k]*tx
		s[k] += a*(1-ty) + b*ty
	}
}

// gauss blurs with a separable Gaussian of the given sigma.
func (c *canvas) gauss(sigma float64) {
	r := int(math.Ceil(2.5 * sigma))
	k := make([]float32, 2*r+1)
	sum := float32(0)
	for i := range k {
		d := float64(i - r)
		k[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float32, len(c.pix))
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			var s [3]float32
			for i, w := range k {
				xx := min(max(x+i-r, 0), c.w-1)
				p := c.pix[3*(y*c.w+xx):]
				s[0] += w * p[0]
				s[1] += w * p[1]
				s[2] += w * p[2]
			}
			copy(tmp[3*(y*c.w+x):], s[:])
		}
	}
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			var s [3]float32
			for i, w := range k {
				yy := min(max(y+i-r, 0), c.h-1)
				p := tmp[3*(yy*c.w+x):]
				s[0] += w * p[0]
				s[1] += w * p[1]
				s[2] += w * p[2]
			}
			copy(c.pix[3*(y*c.w+x):], s[:])
		}
	}
}

// sensor applies exposure and gamma, then noise. Noise is added after the
// gamma lift so that its sigma is what the picture shows (a dark frame
// lifted by gamma 2 would otherwise multiply it many times).
func (c *canvas) sensor(cond Conditions, rng *rand.Rand) {
	exp := float32(cond.Exposure)
	inv := 1 / cond.Gamma
	for i := 0; i < c.w*c.h; i++ {
		lum := float32(rng.NormFloat64() * cond.Noise * 0.7)
		for k := 0; k < 3; k++ {
			v := c.pix[3*i+k] * exp
			if v < 0 {
				v = 0
			}
			if cond.Gamma != 1 {
				v = float32(math.Pow(float64(v), inv))
			}
			c.pix[3*i+k] = v + lum + float32(rng.NormFloat64()*cond.Noise*0.5)
		}
	}
}

func jpegRoundTrip(img *image.RGBA, q int) *image.RGBA {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return img
	}
	dec, err := jpeg.Decode(&buf)
	if err != nil {
		return img
	}
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), dec, dec.Bounds().Min, draw.Src)
	return out
}

// hash01 is a deterministic number in [0,1) from a seed and a salt.
func hash01(seed, salt uint64) float64 {
	return rand.New(rand.NewPCG(seed, salt)).Float64()
}

// Gray is the picture's luma, what the reader works on.
func Gray(img *image.RGBA) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			o := img.PixOffset(x, y)
			r, gg, bb := int(img.Pix[o]), int(img.Pix[o+1]), int(img.Pix[o+2])
			g.Pix[g.PixOffset(x, y)] = uint8((299*r + 587*gg + 114*bb + 500) / 1000)
		}
	}
	return g
}
