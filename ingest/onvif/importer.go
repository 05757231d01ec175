package onvif

import (
	"context"
	"sort"
	"time"
)

// Summary is what Import learnt about a camera, enough to add it to the
// service: who it is, how far its clock is off, its streams and PTZ.
type Summary struct {
	XAddr    string
	Info     DeviceInfo
	Clock    DeviceTime
	Auth     AuthMethod
	Services Services
	Profiles []ImportedProfile
	// MainStream and SubStream are profile tokens: the highest and the lowest
	// resolution H.264 profiles with a stream URI (the same one when the
	// camera has only one); empty when there is none.
	MainStream string
	SubStream  string
	// PTZ is whether the camera has a PTZ service and a profile with a PTZ
	// configuration.
	PTZ bool
}

// ImportedProfile is a profile with its stream URI, or why there is none.
type ImportedProfile struct {
	Profile
	StreamURI   string
	StreamError string
}

// Profile returns the imported profile with the token, if any.
func (s *Summary) Profile(token string) (ImportedProfile, bool) {
	for _, p := range s.Profiles {
		if p.Token == token {
			return p, true
		}
	}
	return ImportedProfile{}, false
}

// Import reads the clock, identity, services and profiles of the camera and
// each profile's stream URI. A profile whose URI cannot be had is kept with
// its error; any other failure fails the import.
func (c *Client) Import(ctx context.Context) (Summary, error) {
	s := Summary{XAddr: c.cfg.XAddr}
	clock, err := c.GetSystemDateAndTime(ctx)
	if err != nil {
		return Summary{}, err
	}
	s.Clock = clock
	if s.Info, err = c.GetDeviceInformation(ctx); err != nil {
		return Summary{}, err
	}
	if s.Services, err = c.Services(ctx); err != nil {
		return Summary{}, err
	}
	profiles, err := c.GetProfiles(ctx)
	if err != nil {
		return Summary{}, err
	}
	for _, p := range profiles {
		ip := ImportedProfile{Profile: p}
		if p.Encoding != "" {
			uri, err := c.GetStreamURI(ctx, p.Token)
			if err != nil {
				if ctx.Err() != nil {
					return Summary{}, err
				}
				ip.StreamError = err.Error()
				c.log.Warn("onvif: no stream URI for profile", "profile", p.Token, "error", err)
			}
			ip.StreamURI = uri
		}
		s.Profiles = append(s.Profiles, ip)
		s.PTZ = s.PTZ || (p.HasPTZConfig && s.Services.PTZ != "")
	}
	s.MainStream, s.SubStream = pickStreams(s.Profiles)
	s.Auth = c.Auth()
	c.log.Info("onvif: camera imported", "model", s.Info.Model, "profiles", len(s.Profiles),
		"main", s.MainStream, "sub", s.SubStream, "ptz", s.PTZ, "clock_offset", s.Clock.Offset.Round(time.Millisecond))
	return s, nil
}

// pickStreams orders the H.264 profiles that have a URI by pixels, then
// frame rate, then bitrate, and takes the ends. Ties keep camera order.
func pickStreams(ps []ImportedProfile) (main, sub string) {
	var h264 []ImportedProfile
	for _, p := range ps {
		if p.Encoding == "H264" && p.StreamURI != "" && p.Width > 0 && p.Height > 0 {
			h264 = append(h264, p)
		}
	}
	if len(h264) == 0 {
		return "", ""
	}
	sort.SliceStable(h264, func(i, j int) bool {
		a, b := h264[i], h264[j]
		if pa, pb := a.Width*a.Height, b.Width*b.Height; pa != pb {
			return pa > pb
		}
		if a.FrameRate != b.FrameRate {
			return a.FrameRate > b.FrameRate
		}
		return a.BitrateKbps > b.BitrateKbps
	})
	main = h264[0].Token
	// The sub stream is the smallest picture; among equals, the one sorted
	// first (higher frame rate).
	last := h264[len(h264)-1]
	for _, p := range h264 {
		if p.Width*p.Height == last.Width*last.Height {
			return main, p.Token
		}
	}
	return main, last.Token
}
