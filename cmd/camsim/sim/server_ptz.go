package sim

import "fmt"

// ONVIFURL returns camera cam's (1-based) ONVIF device service URL, e.g.
// http://127.0.0.1:8080/onvif/device_service; "" when ONVIF is not served.
func (s *Server) ONVIFURL(cam int) string {
	if s.onvif == nil {
		return ""
	}
	return s.onvif.deviceURL(cam)
}

// DiscoveryAddr returns the UDP address WS-Discovery probes are answered on ("" when off).
func (s *Server) DiscoveryAddr() string {
	if s.disc == nil {
		return ""
	}
	return s.disc.addr()
}

// ErrNoPTZ is returned for a camera that is not a PTZ camera.
var ErrNoPTZ = fmt.Errorf("not a PTZ camera")

// PTZStatus returns a PTZ camera's position and motion now.
func (s *Server) PTZStatus(camera string) (PTZStatus, error) {
	c, err := s.ptzCamera(camera)
	if err != nil {
		return PTZStatus{}, err
	}
	return c.ptz.Status(), nil
}

// PTZMove moves a PTZ camera to pos at full speed, as an ONVIF AbsoluteMove would.
func (s *Server) PTZMove(camera string, pos PTZPosition) error {
	c, err := s.ptzCamera(camera)
	if err != nil {
		return err
	}
	return c.ptz.AbsoluteMove(PTZVector{PanTilt: &[2]float64{pos.Pan, pos.Tilt}, Zoom: &pos.Zoom}, PTZVector{})
}

func (s *Server) ptzCamera(camera string) (*camera, error) {
	c := s.byName[camera]
	if c == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoCamera, camera)
	}
	if c.ptz == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoPTZ, camera)
	}
	return c, nil
}

// streamSpec is what camera c's stream kind really is.
func (s *Server) streamSpec(c *camera, kind string) StreamSpec {
	switch {
	case kind == StreamSub:
		return s.Sub
	case c.ptz != nil:
		return s.PTZMain
	}
	return s.Main
}

// CameraPTZ is a PTZ camera's part of CameraStats.
type CameraPTZ struct {
	PTZStatus
	Moves PTZStats `json:"moves"`
}
