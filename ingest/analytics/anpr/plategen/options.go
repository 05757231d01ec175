package plategen

// SceneOptions sets the mix of pictures in a generated set.
type SceneOptions struct {
	Night float64 // share of night pictures (half low light, half IR)
	Blur  float64 // share of strongly blurred pictures (motion, defocus)
}

// DefaultSceneOptions is the mix used for training and test sets.
func DefaultSceneOptions() SceneOptions { return SceneOptions{Night: 0.3, Blur: 0.25} }
