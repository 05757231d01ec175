package app

import (
	"fmt"

	"github.com/vigil-cctv/vigil/ui/live"
)

// startLive starts the WebRTC engine that serves live views from the
// ingest hubs (no transcoding: the cameras' H.264 as received).
func (a *App) startLive() error {
	lc := a.Config.Live
	cfg := live.Config{MaxViewers: lc.MaxViewers, MaxViewersPerUser: lc.MaxViewersPerUser,
		UDPPort: lc.UDPPort, TCPPort: lc.TCPPort, NAT1To1IPs: lc.NAT1To1IPs}
	if id := a.Config.Cluster.NodeID; id != "" {
		cfg.SessionPrefix = id + "." // any node can tell which one runs a live view
	}
	for _, is := range lc.ICEServers {
		cfg.ICEServers = append(cfg.ICEServers, live.ICEServer{URLs: is.URLs, Username: is.Username, Credential: is.Credential})
	}
	a.live = &live.Server{Config: cfg, Hubs: a.sup, Registerer: a.metrics, Logger: a.logger.With("component", "live")}
	if err := a.live.Initialize(); err != nil {
		a.live = nil
		return fmt.Errorf("live view: %w (live.udp_port %d, live.tcp_port %d)", err, lc.UDPPort, lc.TCPPort)
	}
	return nil
}
