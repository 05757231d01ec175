package plategen

import "math/rand/v2"

// Light is the scene's lighting.
type Light int

const (
	Day      Light = iota
	LowLight       // dusk or street lighting: dark, gamma-lifted, noisy
	NightIR        // infrared: grey picture, bright retro-reflective plate, bloom
)

// Conditions are the camera and light effects applied to a rendered
// picture, in the order light, optics, sensor, encoder.
type Conditions struct {
	Light       Light
	Uneven      float64 // linear light gradient across the picture, 0..0.6
	Shadow      float64 // depth of a soft shadow edge, 0 none .. 0.7
	ShadowAngle float64 // radians
	ShadowAt    Pt      // a point on the shadow edge, fractions of the picture
	Exposure    float64 // gain (1 normal; low light 0.15..0.4)
	Gamma       float64 // output gamma (1 none)
	Bloom       float64 // IR halo strength
	MotionLen   float64 // motion blur length in pixels
	MotionAngle float64 // radians
	Defocus     float64 // Gaussian blur sigma in pixels
	Noise       float64 // sensor noise sigma (0..1 scale)
	JPEGQuality int     // 0: no compression
	Seed        uint64  // the noise
}

// RandomConditions draws conditions within realistic bounds: night is the
// share of night pictures (half low light, half IR), blur the share of
// strongly blurred ones. charH (pixels) scales the blur.
func RandomConditions(rng *rand.Rand, night, blur, charH float64) Conditions {
	c := Conditions{Exposure: 1, Gamma: 1, Seed: rng.Uint64()}
	if rng.Float64() < night {
		if rng.IntN(2) == 0 {
			c.Light = LowLight
			c.Exposure = 0.15 + 0.25*rng.Float64()
			c.Gamma = 1.6 + 0.8*rng.Float64()
		} else {
			c.Light = NightIR
			c.Bloom = 0.2 + 0.6*rng.Float64()
		}
	} else {
		c.Exposure = 0.75 + 0.5*rng.Float64()
	}
	c.Uneven = 0.6 * rng.Float64() * rng.Float64()
	if rng.Float64() < 0.25 {
		c.Shadow = 0.2 + 0.5*rng.Float64()
		c.ShadowAngle = rng.Float64() * 6.283
		c.ShadowAt = Pt{rng.Float64(), rng.Float64()}
	}
	// blur scales with the character: a 60 px character smears further
	k := charH / 30
	if rng.Float64() < blur {
		c.MotionLen = (2 + 5*rng.Float64()) * k
		c.Defocus = (0.6 + 1.2*rng.Float64()) * k
	} else {
		c.MotionLen = 1.5 * rng.Float64() * k
		c.Defocus = 0.7 * rng.Float64() * k
	}
	c.MotionAngle = (rng.Float64()*2 - 1) * 0.5
	if rng.IntN(4) == 0 {
		c.MotionAngle = rng.Float64() * 3.1416
	}
	c.Noise = 0.005 + 0.025*rng.Float64()
	if c.Light != Day {
		c.Noise += 0.01 + 0.03*rng.Float64()
	}
	c.JPEGQuality = 15 + rng.IntN(76)
	return c
}
