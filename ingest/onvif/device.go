package onvif

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Inside a response element (matched by namespace URI) fields are matched
// by local name: cameras are loose about the namespaces of children.

// DeviceInfo is GetDeviceInformation's answer.
type DeviceInfo struct {
	Manufacturer    string `xml:"Manufacturer"`
	Model           string `xml:"Model"`
	FirmwareVersion string `xml:"FirmwareVersion"`
	SerialNumber    string `xml:"SerialNumber"`
	HardwareID      string `xml:"HardwareId"`
}

// GetDeviceInformation reads make, model, firmware, serial and hardware id.
func (c *Client) GetDeviceInformation(ctx context.Context) (DeviceInfo, error) {
	req := request{op: "GetDeviceInformation", ns: nsDevice, body: el("tds:GetDeviceInformation", "")}
	var info DeviceInfo
	if err := c.call(ctx, c.cfg.XAddr, req, &info); err != nil {
		return DeviceInfo{}, err
	}
	for _, s := range []*string{&info.Manufacturer, &info.Model, &info.FirmwareVersion, &info.SerialNumber, &info.HardwareID} {
		*s = clip(strings.TrimSpace(*s))
	}
	return info, nil
}

// Capabilities holds the service addresses GetCapabilities reports; empty
// when the camera lacks the service.
type Capabilities struct {
	Device  string
	Media   string
	PTZ     string
	Events  string
	Imaging string
}

type capabilitiesXML struct {
	Device  string `xml:"Capabilities>Device>XAddr"`
	Media   string `xml:"Capabilities>Media>XAddr"`
	PTZ     string `xml:"Capabilities>PTZ>XAddr"`
	Events  string `xml:"Capabilities>Events>XAddr"`
	Imaging string `xml:"Capabilities>Imaging>XAddr"`
}

// GetCapabilities asks for all categories (the pre-2.0 way to find services).
func (c *Client) GetCapabilities(ctx context.Context) (Capabilities, error) {
	req := request{op: "GetCapabilities", ns: nsDevice,
		body: el("tds:GetCapabilities", text("tds:Category", "All"))}
	var x capabilitiesXML
	if err := c.call(ctx, c.cfg.XAddr, req, &x); err != nil {
		return Capabilities{}, err
	}
	return Capabilities{
		Device: strings.TrimSpace(x.Device), Media: strings.TrimSpace(x.Media), PTZ: strings.TrimSpace(x.PTZ),
		Events: strings.TrimSpace(x.Events), Imaging: strings.TrimSpace(x.Imaging),
	}, nil
}

// Service is one entry of GetServices.
type Service struct {
	Namespace string
	XAddr     string
	Major     int
	Minor     int
}

type servicesXML struct {
	Service []struct {
		Namespace string `xml:"Namespace"`
		XAddr     string `xml:"XAddr"`
		Major     int    `xml:"Version>Major"`
		Minor     int    `xml:"Version>Minor"`
	} `xml:"Service"`
}

// maxServices bounds the list kept from GetServices.
const maxServices = 64

// GetServices lists the camera's services (ONVIF 2.0 and later).
func (c *Client) GetServices(ctx context.Context) ([]Service, error) {
	req := request{op: "GetServices", ns: nsDevice,
		body: el("tds:GetServices", text("tds:IncludeCapability", "false"))}
	var x servicesXML
	if err := c.call(ctx, c.cfg.XAddr, req, &x); err != nil {
		return nil, err
	}
	if len(x.Service) > maxServices {
		return nil, fmt.Errorf("onvif: GetServices: camera listed %d services, more than %d: %w", len(x.Service), maxServices, ErrMalformed)
	}
	out := make([]Service, 0, len(x.Service))
	for _, s := range x.Service {
		out = append(out, Service{Namespace: strings.TrimSpace(s.Namespace), XAddr: strings.TrimSpace(s.XAddr), Major: s.Major, Minor: s.Minor})
	}
	return out, nil
}

// Services are the addresses this client uses for media and PTZ.
type Services struct {
	Media string
	PTZ   string // empty: no PTZ service
}

// Services finds the media and PTZ addresses, by GetServices, or by
// GetCapabilities on cameras that do not support it, and remembers them.
func (c *Client) Services(ctx context.Context) (Services, error) {
	c.mu.Lock()
	known := c.services
	c.mu.Unlock()
	if known != nil {
		return *known, nil
	}
	var s Services
	list, err := c.GetServices(ctx)
	if errors.Is(err, ErrAuth) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrUnreachable) || ctx.Err() != nil {
		return Services{}, err // GetCapabilities would fare no better
	}
	if err == nil {
		for _, sv := range list {
			switch sv.Namespace {
			case nsMedia:
				s.Media = sv.XAddr
			case nsPTZ:
				s.PTZ = sv.XAddr
			}
		}
	}
	if err != nil || s.Media == "" {
		if err != nil && !IsFault(err, ActionNotSupported) {
			c.log.Debug("onvif: GetServices failed; trying GetCapabilities", "error", err)
		}
		caps, cerr := c.GetCapabilities(ctx)
		if cerr != nil {
			return Services{}, cerr
		}
		s = Services{Media: caps.Media, PTZ: caps.PTZ}
	}
	if s.Media == "" {
		return Services{}, fmt.Errorf("onvif: camera at %s reports no media service", hostOf(c.cfg.XAddr))
	}
	if err := checkHTTPURL(s.Media); err != nil {
		return Services{}, fmt.Errorf("onvif: media service address: %w: %w", err, ErrMalformed)
	}
	if s.PTZ != "" {
		if err := checkHTTPURL(s.PTZ); err != nil {
			return Services{}, fmt.Errorf("onvif: PTZ service address: %w: %w", err, ErrMalformed)
		}
	}
	c.mu.Lock()
	c.services = &s
	c.mu.Unlock()
	return s, nil
}
