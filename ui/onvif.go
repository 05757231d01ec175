package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/onvif"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// ONVIF finds cameras on the network and reads them (the app, with its
// discovery settings).
type ONVIF interface {
	// Discover probes for devices; with credentials it also reads each
	// one's make, model and firmware.
	Discover(ctx context.Context, username, password string) ([]DiscoveredDevice, error)
	// Import reads a device's profiles, stream addresses and clock.
	Import(ctx context.Context, xaddr, username, password string) (onvif.Summary, error)
}

// ErrDiscoveryOff: WS-Discovery is not enabled in the configuration.
var ErrDiscoveryOff = errors.New("ONVIF discovery is off: set onvif.discovery (and onvif.interface or onvif.probe_address)")

// DiscoveredDevice is a device that answered a probe.
type DiscoveredDevice struct {
	Endpoint     string   `json:"endpoint"`
	XAddrs       []string `json:"xaddrs"`
	Name         string   `json:"name,omitempty"`
	Hardware     string   `json:"hardware,omitempty"`
	Location     string   `json:"location,omitempty"`
	Manufacturer string   `json:"manufacturer,omitempty"`
	Model        string   `json:"model,omitempty"`
	Firmware     string   `json:"firmware,omitempty"`
	Serial       string   `json:"serial,omitempty"`
	// InfoError says why make, model and firmware are missing.
	InfoError string `json:"info_error,omitempty"`
	// Camera is the id of the camera already added from this device.
	Camera string `json:"camera,omitempty"`
}

func (a *cameraAPI) onvifRoutes(rt *router) {
	rt.handle("POST /api/v1/onvif/discover", allow(auth.CamerasManage), a.discover)
	rt.handle("POST /api/v1/onvif/import", allow(auth.CamerasManage), a.importONVIF)
}

type discoverInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// discoverTimeout bounds a probe and the reads that follow.
const discoverTimeout = 10 * time.Second

func (a *cameraAPI) discover(w http.ResponseWriter, r *http.Request) {
	var in discoverInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), discoverTimeout)
	defer cancel()
	devs, err := a.onvif.Discover(ctx, in.Username, in.Password)
	if errors.Is(err, ErrDiscoveryOff) {
		writeError(w, http.StatusConflict, err.Error(), nil)
		return
	}
	if err != nil {
		writeError(w, http.StatusBadGateway, "discovery: "+err.Error(), nil)
		return
	}
	// Say which devices are cameras already.
	cams, err := a.cameras.List(r.Context())
	if err != nil {
		a.internal(w, err)
		return
	}
	for i := range devs {
		for _, c := range cams {
			for _, x := range devs[i].XAddrs {
				if c.ONVIFURL != "" && c.ONVIFURL == x {
					devs[i].Camera = c.ID
				}
			}
		}
	}
	if devs == nil {
		devs = []DiscoveredDevice{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": devs})
}

type importInput struct {
	XAddr         string   `json:"xaddr"`
	Username      string   `json:"username"`
	Password      string   `json:"password"`
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Site          string   `json:"site"`
	Ward          string   `json:"ward"`
	Kind          string   `json:"kind"`
	Latitude      *float64 `json:"latitude"`
	Longitude     *float64 `json:"longitude"`
	RetentionDays int      `json:"retention_days"`
}

type importedJSON struct {
	Camera       cameraJSON `json:"camera"`
	Manufacturer string     `json:"manufacturer"`
	Model        string     `json:"model"`
	Firmware     string     `json:"firmware"`
	// ClockOffsetSeconds is the device's clock less the server's.
	ClockOffsetSeconds float64          `json:"clock_offset_seconds"`
	Profiles           []importedStream `json:"profiles"`
}

type importedStream struct {
	Token     string  `json:"token"`
	Name      string  `json:"name"`
	Encoding  string  `json:"encoding"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	FrameRate float64 `json:"fps"`
	URI       string  `json:"uri,omitempty"`
	Use       string  `json:"use,omitempty"` // main, sub, ptz
	Error     string  `json:"error,omitempty"`
}

// importONVIF adds a camera from its ONVIF device: its main and sub
// streams (the largest and smallest H.264 profiles), and, for a dome, the
// profile that steers it.
func (a *cameraAPI) importONVIF(w http.ResponseWriter, r *http.Request) {
	var in importInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if in.XAddr == "" {
		writeError(w, http.StatusBadRequest, "xaddr: the device service address is required (from discovery, or http://HOST/onvif/device_service)", nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), discoverTimeout)
	defer cancel()
	sum, err := a.onvif.Import(ctx, in.XAddr, in.Username, in.Password)
	if err != nil {
		status := http.StatusBadGateway
		if errors.Is(err, onvif.ErrAuth) {
			status = http.StatusUnprocessableEntity
		}
		writeError(w, status, "import "+in.XAddr+": "+err.Error(), nil)
		return
	}
	main, ok := sum.Profile(sum.MainStream)
	if !ok {
		writeError(w, http.StatusUnprocessableEntity, "import "+in.XAddr+": the device offers no H.264 stream Vigil can record", nil)
		return
	}
	c := store.Camera{ID: in.ID, Name: in.Name, Site: in.Site, Ward: in.Ward, Kind: in.Kind, Latitude: in.Latitude, Longitude: in.Longitude,
		RetentionDays: in.RetentionDays, MainURL: main.StreamURI, Username: in.Username, Password: in.Password,
		ONVIFURL: in.XAddr, Enabled: true, ManagedBy: store.ManagedByAPI}
	if c.Name == "" {
		c.Name = strings.TrimSpace(sum.Info.Manufacturer + " " + sum.Info.Model)
	}
	if sub, ok := sum.Profile(sum.SubStream); ok && sub.Token != main.Token {
		c.SubURL = sub.StreamURI
	}
	if sum.PTZ {
		c.PTZProfile = ptzProfile(sum, main.Token)
	}
	if !a.check(w, &c) {
		return
	}
	if err := a.cameras.Create(r.Context(), &c); err != nil {
		a.fail(w, err)
		return
	}
	a.logChange(r, c.ID, fmt.Sprintf("camera imported over ONVIF from %s (%s %s, firmware %s)", in.XAddr,
		sum.Info.Manufacturer, sum.Info.Model, sum.Info.FirmwareVersion))
	out := importedJSON{Camera: a.view(c), Manufacturer: sum.Info.Manufacturer, Model: sum.Info.Model,
		Firmware: sum.Info.FirmwareVersion, ClockOffsetSeconds: sum.Clock.Offset.Seconds(), Profiles: []importedStream{}}
	for _, p := range sum.Profiles {
		s := importedStream{Token: p.Token, Name: p.Name, Encoding: p.Encoding, Width: p.Width, Height: p.Height,
			FrameRate: p.FrameRate, URI: p.StreamURI, Error: p.StreamError}
		switch p.Token {
		case sum.MainStream:
			s.Use = "main"
		case sum.SubStream:
			s.Use = "sub"
		}
		out.Profiles = append(out.Profiles, s)
	}
	w.Header().Set("Location", "/api/v1/cameras/"+c.ID)
	writeJSON(w, http.StatusCreated, out)
}

// ptzProfile is the profile that steers a dome: the main stream's if it
// has a PTZ configuration, else the first that has one.
func ptzProfile(sum onvif.Summary, main string) string {
	if p, ok := sum.Profile(main); ok && p.HasPTZConfig {
		return p.Token
	}
	for _, p := range sum.Profiles {
		if p.HasPTZConfig {
			return p.Token
		}
	}
	return ""
}
