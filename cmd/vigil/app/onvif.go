package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/ingest/onvif"
	"github.com/vigil-cctv/vigil/ingest/ptz"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui"
)

// startONVIF starts watching the ONVIF cameras and steering domes.
func (a *App) startONVIF() {
	o := a.Config.ONVIF
	if a.demo != nil && !o.Discovery && a.demo.DiscoveryAddr() != "" {
		// The demo's simulated cameras answer probes on loopback.
		o.Discovery, o.ProbeAddress = true, a.demo.DiscoveryAddr()
	}
	running := func(id string) bool { _, ok := a.sup.Status(id); return ok }
	a.onvif = newONVIFService(o, a.store, running, a.metrics, a.logger.With("component", "onvif"))
	a.onvif.Initialize()
	a.ptz = &ptz.Controller{Cameras: a.onvif, Audit: a.evlog, DeadMan: o.PTZDeadMan, LockIdle: o.PTZLockIdle,
		Logger: a.logger.With("component", "ptz"), Metrics: ptz.NewMetrics(a.metrics)}
	if a.analytics != nil {
		// A dome's view changes when it is steered, and settles within a
		// few seconds after the last command.
		a.ptz.Steered = func(camera string) { a.analytics.Steered(camera, time.Now().Add(ptzSettle)) }
	}
	a.server.PTZ, a.server.ONVIF = a.ptz, a.onvif
}

// ptzSettle is how long after a command a dome's view may still be
// changing (a move across its whole range takes seconds).
const ptzSettle = 6 * time.Second

// onvifService finds cameras (WS-Discovery), imports them, gives the PTZ
// controller each dome's device, and watches every ONVIF camera this node
// runs: whether it answers, and how far its clock is from ours.
type onvifService struct {
	cfg     ONVIFConfig
	store   *store.Store
	running func(camera string) bool // ingest runs it on this node
	logger  *slog.Logger

	up     *prometheus.GaugeVec
	offset *prometheus.GaugeVec

	mu      sync.Mutex
	clients map[string]*onvifWatch // by camera
	cancel  context.CancelFunc
	done    chan struct{}
}

// onvifWatch is a camera's client, remade when its address or
// credentials change, and its last measured clock offset.
type onvifWatch struct {
	key    string
	client *onvif.Client
	offset time.Duration
	ok     bool
}

var _ ui.ONVIF = (*onvifService)(nil)
var _ ptz.Cameras = (*onvifService)(nil)

func newONVIFService(cfg ONVIFConfig, st *store.Store, running func(string) bool, reg prometheus.Registerer, logger *slog.Logger) *onvifService {
	s := &onvifService{cfg: cfg, store: st, running: running, logger: logger, clients: map[string]*onvifWatch{},
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_onvif_up",
			Help: "1 when the camera's ONVIF device service answered its last time check, 0 when it did not."}, []string{"camera"}),
		offset: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_onvif_clock_offset_seconds",
			Help: "The camera's clock less the server's, read over ONVIF (GetSystemDateAndTime)."}, []string{"camera"}),
	}
	if reg != nil {
		reg.MustRegister(s.up, s.offset)
	}
	return s
}

// Discover probes for devices (multicast on the configured interface, or
// the configured address) and, given credentials, reads what each is.
func (s *onvifService) Discover(ctx context.Context, username, password string) ([]ui.DiscoveredDevice, error) {
	if !s.cfg.Discovery {
		return nil, ui.ErrDiscoveryOff
	}
	devs, err := onvif.Probe(ctx, onvif.ProbeOptions{Interface: s.cfg.Interface, Unicast: s.cfg.ProbeAddress,
		Timeout: 2 * time.Second, Logger: s.logger})
	if err != nil {
		return nil, err
	}
	out := make([]ui.DiscoveredDevice, len(devs))
	var wg sync.WaitGroup
	for i, d := range devs {
		out[i] = ui.DiscoveredDevice{Endpoint: d.Endpoint, XAddrs: d.XAddrs, Name: d.Name, Hardware: d.Hardware, Location: d.Location}
		if len(d.XAddrs) == 0 {
			out[i].InfoError = "the device gave no address"
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := onvif.New(onvif.Config{XAddr: d.XAddrs[0], Username: username, Password: password, Logger: s.logger})
			if err == nil {
				defer c.Close()
				var info onvif.DeviceInfo
				if info, err = c.GetDeviceInformation(ctx); err == nil {
					out[i].Manufacturer, out[i].Model, out[i].Firmware, out[i].Serial = info.Manufacturer, info.Model, info.FirmwareVersion, info.SerialNumber
				}
			}
			if err != nil {
				out[i].InfoError = err.Error()
			}
		}()
	}
	wg.Wait()
	return out, nil
}

// Import reads a device's profiles, streams and clock.
func (s *onvifService) Import(ctx context.Context, xaddr, username, password string) (onvif.Summary, error) {
	c, err := onvif.New(onvif.Config{XAddr: xaddr, Username: username, Password: password, Logger: s.logger})
	if err != nil {
		return onvif.Summary{}, err
	}
	defer c.Close()
	return c.Import(ctx)
}

// PTZDevice is how to steer a camera, if it is a dome.
func (s *onvifService) PTZDevice(ctx context.Context, camera string) (ptz.Device, error) {
	c, err := s.store.GetCamera(ctx, camera)
	if err != nil {
		return ptz.Device{}, err
	}
	if c.PTZProfile == "" || c.ONVIFURL == "" {
		return ptz.Device{}, fmt.Errorf("camera %s: %w", camera, ptz.ErrNotPTZ)
	}
	return ptz.Device{XAddr: c.ONVIFURL, Username: c.Username, Password: c.Password, Profile: c.PTZProfile}, nil
}

// ClockOffset is a camera's clock offset as its ONVIF service last gave it.
func (s *onvifService) ClockOffset(camera string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.clients[camera]
	if w == nil || !w.ok {
		return 0, false
	}
	return w.offset, true
}

// Initialize starts the watch.
func (s *onvifService) Initialize() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.cfg.PollInterval)
		defer t.Stop()
		for {
			s.poll(ctx)
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
}

// poll asks every ONVIF camera this node runs for its time.
func (s *onvifService) poll(ctx context.Context) {
	cams, err := s.store.ListCameras(ctx)
	if err != nil {
		s.logger.Warn("ONVIF watch: listing cameras", "error", err)
		return
	}
	seen := map[string]bool{}
	for _, c := range cams {
		if c.ONVIFURL == "" || !c.Enabled || !s.running(c.ID) {
			continue
		}
		seen[c.ID] = true
		w := s.watch(c)
		if w == nil {
			s.up.WithLabelValues(c.ID).Set(0)
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		t, err := w.client.GetSystemDateAndTime(cctx)
		cancel()
		s.mu.Lock()
		w.ok, w.offset = err == nil, t.Offset
		s.mu.Unlock()
		if err != nil {
			s.up.WithLabelValues(c.ID).Set(0)
			s.logger.Warn("ONVIF camera did not answer", "camera", c.ID, "error", err)
			continue
		}
		s.up.WithLabelValues(c.ID).Set(1)
		s.offset.WithLabelValues(c.ID).Set(t.Offset.Seconds())
	}
	s.forget(seen)
}

// watch returns camera c's client, made anew when its device changed.
func (s *onvifService) watch(c store.Camera) *onvifWatch {
	key := c.ONVIFURL + "\x00" + c.Username + "\x00" + c.Password
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.clients[c.ID]; w != nil && w.key == key {
		return w
	}
	if w := s.clients[c.ID]; w != nil {
		w.client.Close()
		delete(s.clients, c.ID)
	}
	cl, err := onvif.New(onvif.Config{XAddr: c.ONVIFURL, Username: c.Username, Password: c.Password, Logger: s.logger})
	if err != nil {
		s.logger.Warn("ONVIF camera: bad device", "camera", c.ID, "error", err)
		return nil
	}
	w := &onvifWatch{key: key, client: cl}
	s.clients[c.ID] = w
	return w
}

// forget drops the cameras no longer watched here, and their series.
func (s *onvifService) forget(seen map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, w := range s.clients {
		if !seen[id] {
			w.client.Close()
			delete(s.clients, id)
			s.up.DeleteLabelValues(id)
			s.offset.DeleteLabelValues(id)
		}
	}
}

// Close stops the watch.
func (s *onvifService) Close() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
	s.forget(nil)
}
