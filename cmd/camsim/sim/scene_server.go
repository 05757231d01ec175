package sim

import "time"

// SceneClock returns the scene camera shows and when its sub stream showed (or would
// have shown) the first frame of its clip: clip time at wall time w is
// (w - start) modulo the loop length (Truth.Seconds). Cameras showing a scene other than
// street start their clips at Initialize, on both streams within a frame of each other.
// ok is false for an unknown camera or a server not started.
func (s *Server) SceneClock(camera string) (scene Scene, start time.Time, ok bool) {
	c := s.byName[camera]
	if c == nil || !s.started.Load() {
		return "", time.Time{}, false
	}
	scene = s.Scenes[camera]
	if scene == "" {
		scene = SceneStreet
	}
	r := c.sub
	return scene, r.t0.Add(-time.Duration(r.phase) * time.Second / time.Duration(r.fps)), true
}
