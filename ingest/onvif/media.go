package onvif

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// Profile is a media profile: one encoding of one video source.
type Profile struct {
	Token string
	Name  string
	// Encoding is JPEG, MPEG4, H264 (or H265 on cameras that stretch
	// Media ver10); empty when the profile has no video encoder.
	Encoding     string
	Width        int
	Height       int
	FrameRate    float64 // FrameRateLimit, frames per second
	BitrateKbps  int     // BitrateLimit, kbit/s
	VideoSource  string  // video source token
	PTZConfig    string  // PTZ configuration token, empty without one
	HasPTZConfig bool
}

type profilesXML struct {
	Profiles []profileXML `xml:"Profiles"`
}

type profileXML struct {
	Token  string `xml:"token,attr"`
	Name   string `xml:"Name"`
	Source *struct {
		Token       string `xml:"token,attr"`
		SourceToken string `xml:"SourceToken"`
	} `xml:"VideoSourceConfiguration"`
	Encoder *struct {
		Encoding string  `xml:"Encoding"`
		Width    int     `xml:"Resolution>Width"`
		Height   int     `xml:"Resolution>Height"`
		FPS      float64 `xml:"RateControl>FrameRateLimit"`
		Bitrate  int     `xml:"RateControl>BitrateLimit"`
	} `xml:"VideoEncoderConfiguration"`
	PTZ *struct {
		Token string `xml:"token,attr"`
	} `xml:"PTZConfiguration"`
}

// maxProfiles bounds the profiles kept; real cameras have a handful.
const maxProfiles = 32

// GetProfiles lists the camera's media profiles.
func (c *Client) GetProfiles(ctx context.Context) ([]Profile, error) {
	s, err := c.Services(ctx)
	if err != nil {
		return nil, err
	}
	req := request{op: "GetProfiles", ns: nsMedia, body: el("trt:GetProfiles", "")}
	var x profilesXML
	if err := c.call(ctx, s.Media, req, &x); err != nil {
		return nil, err
	}
	if len(x.Profiles) > maxProfiles {
		c.log.Warn("onvif: camera has more profiles than we keep", "profiles", len(x.Profiles), "kept", maxProfiles)
		x.Profiles = x.Profiles[:maxProfiles]
	}
	out := make([]Profile, 0, len(x.Profiles))
	for i, p := range x.Profiles {
		if p.Token == "" {
			return nil, fmt.Errorf("onvif: GetProfiles: profile %d has no token: %w", i, ErrMalformed)
		}
		pr := Profile{Token: p.Token, Name: clip(strings.TrimSpace(p.Name))}
		if p.Source != nil {
			pr.VideoSource = strings.TrimSpace(p.Source.SourceToken)
		}
		if e := p.Encoder; e != nil {
			pr.Encoding = strings.ToUpper(strings.TrimSpace(e.Encoding))
			pr.Width, pr.Height, pr.FrameRate, pr.BitrateKbps = e.Width, e.Height, e.FPS, e.Bitrate
			if pr.Width < 0 || pr.Height < 0 || pr.Width > 1<<15 || pr.Height > 1<<15 {
				return nil, fmt.Errorf("onvif: GetProfiles: profile %q: impossible resolution %dx%d: %w", p.Token, pr.Width, pr.Height, ErrMalformed)
			}
		}
		if p.PTZ != nil {
			pr.PTZConfig, pr.HasPTZConfig = p.PTZ.Token, true
		}
		out = append(out, pr)
	}
	return out, nil
}

type streamURIXML struct {
	URI string `xml:"MediaUri>Uri"`
}

// GetStreamURI asks for the RTSP (RTP unicast) address of a profile.
func (c *Client) GetStreamURI(ctx context.Context, profileToken string) (string, error) {
	if err := checkToken("GetStreamUri", "profile token", profileToken); err != nil {
		return "", err
	}
	s, err := c.Services(ctx)
	if err != nil {
		return "", err
	}
	req := request{op: "GetStreamUri", ns: nsMedia, body: el("trt:GetStreamUri",
		el("trt:StreamSetup", text("tt:Stream", "RTP-Unicast")+el("tt:Transport", text("tt:Protocol", "RTSP")))+
			text("trt:ProfileToken", profileToken))}
	var x streamURIXML
	if err := c.call(ctx, s.Media, req, &x); err != nil {
		return "", err
	}
	uri := strings.TrimSpace(x.URI)
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "rtsp" && u.Scheme != "rtsps") || u.Host == "" {
		return "", fmt.Errorf("onvif: GetStreamUri: profile %q: %q is not an RTSP URL: %w", profileToken, clip(uri), ErrMalformed)
	}
	return uri, nil
}

// maxToken is tt:ReferenceToken's length limit.
const maxToken = 64

func checkToken(op, what, tok string) error {
	switch {
	case tok == "":
		return invalidArg(op, "%s is empty", what)
	case len(tok) > maxToken:
		return invalidArg(op, "%s is %d bytes, over the %d ONVIF allows", what, len(tok), maxToken)
	}
	return nil
}
