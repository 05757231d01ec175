// Package app wires Vigil's components into the service: configuration,
// store, ingest supervisor, HTTP server and the demo site.
package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/ingest/cluster"
	"github.com/vigil-cctv/vigil/ingest/nuisance"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/tasking"
)

// Config is the service configuration: one YAML file. Every field has a
// documented default (DefaultConfig) and an environment override named
// VIGIL_ + the YAML path in capitals, e.g. VIGIL_INGEST_READ_TIMEOUT=15s.
type Config struct {
	// Listen is the HTTP address of the API, the web UI and /metrics.
	Listen string `yaml:"listen"`
	// DataDir holds the database and (later) recordings.
	DataDir string `yaml:"data_dir"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`

	// Store is where the shared records are kept: cameras, the
	// recordings' index, users, analytics, deployments.
	Store StoreConfig `yaml:"store"`

	// Cluster makes this process one node of several sharing the store
	// (which must then be PostgreSQL).
	Cluster ClusterConfig `yaml:"cluster"`

	Ingest IngestConfig `yaml:"ingest"`

	Recorder RecorderConfig `yaml:"recorder"`

	Evidence EvidenceConfig `yaml:"evidence"`

	TLS TLSConfig `yaml:"tls"`

	Access AccessConfig `yaml:"access"`

	Live LiveConfig `yaml:"live"`

	Analytics AnalyticsConfig `yaml:"analytics"`

	Alerts AlertsConfig `yaml:"alerts"`

	ANPR ANPRConfig `yaml:"anpr"`

	BJAG BJAGConfig `yaml:"bjag"`

	ONVIF ONVIFConfig `yaml:"onvif"`

	// GrafanaURL is the camera-health dashboard the web UI's health page
	// links to (e.g. http://grafana:3000/d/vigil-cameras); empty: no link.
	GrafanaURL string `yaml:"grafana_url"`

	// Cameras declared here are seeded into the store and managed by this
	// file: the API shows them but cannot change them. Reloaded on SIGHUP.
	Cameras []CameraConfig `yaml:"cameras"`

	Demo DemoConfig `yaml:"demo"`
}

// StoreConfig chooses the store's backend.
type StoreConfig struct {
	// DSN is empty for SQLite in data_dir/vigil.db (one node), or a
	// PostgreSQL URL, postgres://USER:PASSWORD@HOST:5432/DB, which several
	// nodes share. It holds a password: set it through VIGIL_STORE_DSN
	// rather than the file.
	DSN string `yaml:"dsn"`
}

// ClusterConfig places this node among several.
type ClusterConfig struct {
	// NodeID names this node (a-z 0-9 - _, up to 64): empty for a single
	// node. Keep it stable across restarts (a StatefulSet's pod name):
	// recordings are indexed as on its disk.
	NodeID string `yaml:"node_id"`
	// AdvertiseURL is where the other nodes reach this one.
	AdvertiseURL string `yaml:"advertise_url"`
	// Capacity is how many cameras this node may own.
	Capacity int `yaml:"capacity"`
	// LeaseTTL is how long a camera stays with a node that stopped
	// renewing its lease; a dead node's cameras move within about
	// 1.5 x this.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
}

// StoreTarget is what store.Open takes for this configuration.
func (c *Config) StoreTarget() string {
	if c.Store.DSN != "" {
		return c.Store.DSN
	}
	return filepath.Join(c.DataDir, "vigil.db")
}

// IngestConfig tunes the camera workers.
type IngestConfig struct {
	// Transport is tcp (RTP interleaved in RTSP, the default: survives NAT
	// and lossy radio links) or udp.
	Transport string `yaml:"transport"`
	// ReadTimeout: a stream that sends nothing for this long is offline.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// ReconnectMin and ReconnectMax bound the reconnect backoff.
	ReconnectMin time.Duration `yaml:"reconnect_min"`
	ReconnectMax time.Duration `yaml:"reconnect_max"`
	// GOPCacheBytes bounds the per-stream cache that lets a new viewer
	// start at the latest keyframe.
	GOPCacheBytes int `yaml:"gop_cache_bytes"`
}

// RecorderConfig tunes recording and retention. Recordings live in
// DATA_DIR/recordings.
type RecorderConfig struct {
	// Enabled records every enabled camera's main stream.
	Enabled bool `yaml:"enabled"`
	// SegmentDuration: a segment closes on the first keyframe after this.
	SegmentDuration time.Duration `yaml:"segment_duration"`
	// SyncInterval is how often written footage is forced to disk
	// (fdatasync), bounding unwritten data.
	SyncInterval time.Duration `yaml:"sync_interval"`
	// QueueFrames is how far a camera's writer may fall behind ingest.
	QueueFrames int `yaml:"queue_frames"`
	// QuotaBytes caps all recordings (0: no cap); the oldest go first.
	QuotaBytes int64 `yaml:"quota_bytes"`
	// MinFreeBytes is the free disk space to keep; the oldest go first.
	MinFreeBytes int64 `yaml:"min_free_bytes"`
	// RetentionInterval is how often retention runs.
	RetentionInterval time.Duration `yaml:"retention_interval"`
	// S3 keeps sealed segments in S3-compatible object storage that every
	// node shares; off (no endpoint), they stay on the disk of the node
	// that recorded them.
	S3 S3Config `yaml:"s3"`
}

// S3Config is the shared object store for recordings. A node uploads
// each sealed segment once its sealing is in the evidence log, records
// where it went in the index, and removes it from its disk; any node then
// plays and exports it from the store, and retention deletes it there.
type S3Config struct {
	// Endpoint is the S3 service's host:port (e.g. s3.eu-west-2.amazonaws.com,
	// or a SeaweedFS or Ceph gateway on the council's network); empty: off.
	Endpoint string `yaml:"endpoint"`
	// Bucket holds the recordings; Prefix starts every object's key.
	Bucket string `yaml:"bucket"`
	Prefix string `yaml:"prefix"`
	// Region is the bucket's region.
	Region string `yaml:"region"`
	// AccessKey and SecretKey sign requests: set them through
	// VIGIL_RECORDER_S3_ACCESS_KEY and VIGIL_RECORDER_S3_SECRET_KEY rather
	// than the file.
	AccessKey string `yaml:"access_key"`
	SecretKey string `yaml:"secret_key"`
	// TLS uses https (default); CAFile is the CA of the endpoint's
	// certificate when it is not a public one.
	TLS    bool   `yaml:"tls"`
	CAFile string `yaml:"ca_file"`
	// CreateBucket makes the bucket at start when it is missing.
	CreateBucket bool `yaml:"create_bucket"`
	// UploadWorkers upload at once; UploadInterval is how often a node
	// looks for sealed segments to upload.
	UploadWorkers  int           `yaml:"upload_workers"`
	UploadInterval time.Duration `yaml:"upload_interval"`
}

// EvidenceConfig sets up the evidence locker. The log, its checkpoints and
// keys live in DATA_DIR/evidence; exports in DATA_DIR/exports.
type EvidenceConfig struct {
	// Origin names the log in its signed checkpoints and its signing key,
	// e.g. cctv.example-council.gov.uk/evidence. Changing it needs a new log.
	Origin string `yaml:"origin"`
	// CheckpointInterval: a checkpoint is signed this often when the log grew.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
	// KeyDir holds the signing key (signing.key, signing.pub); default
	// DATA_DIR/evidence/keys. The nodes of a cluster share one log and so
	// one key: point each at its copy of it (e.g. a mounted secret).
	KeyDir string `yaml:"key_dir"`
	// VerifierDir holds vigil-verify built for each platform
	// (linux-amd64/, windows-amd64/, darwin-arm64/), copied into every
	// export. `make build` puts them in bin/verify.
	VerifierDir string `yaml:"verifier_dir"`
}

// TLSConfig sets up HTTPS on the listen address; plain HTTP arriving there
// is redirected to HTTPS, and responses carry HSTS.
type TLSConfig struct {
	// Mode is on (the default) or off. Off serves plain HTTP and is only
	// for a server behind a TLS-terminating proxy: session cookies then
	// lose their Secure flag.
	Mode string `yaml:"mode"`
	// CertFile and KeyFile are the certificate (chain) and key in PEM.
	// Unset: a self-signed certificate is made once in DATA_DIR/tls and a
	// warning logged (browsers will warn too).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// AccessConfig sets the sign-in, session and police export rules.
type AccessConfig struct {
	// SessionIdle ends a session after this long without a request.
	SessionIdle time.Duration `yaml:"session_idle"`
	// SessionMax ends a session this long after sign-in, whatever happens.
	SessionMax time.Duration `yaml:"session_max"`
	// LockAfter failed sign-ins in a row lock an account for LockFor,
	// doubling for each further failure up to LockMax.
	LockAfter int           `yaml:"lock_after"`
	LockFor   time.Duration `yaml:"lock_for"`
	LockMax   time.Duration `yaml:"lock_max"`
	// ExportRequestMaxAge: a police request not decided within it expires.
	ExportRequestMaxAge time.Duration `yaml:"export_request_max_age"`
	// PoliceGrant: how long an approved request lets the officer view its
	// footage.
	PoliceGrant time.Duration `yaml:"police_grant"`
	// DownloadLinkTTL: how long a download link lasts unless asked shorter.
	DownloadLinkTTL time.Duration `yaml:"download_link_ttl"`
}

// LiveConfig sets live view over WebRTC (WHEP).
type LiveConfig struct {
	// UDPPort and TCPPort carry every viewer's media, multiplexed on one
	// port each (open both in the firewall; TCP is the fallback where UDP
	// is blocked). 0 picks a free port; -1 turns that transport off.
	UDPPort int `yaml:"udp_port"`
	TCPPort int `yaml:"tcp_port"`
	// NAT1To1IPs are the addresses to announce when the server is behind
	// NAT (its public address as the video wall sees it).
	NAT1To1IPs []string `yaml:"nat_1to1_ips,omitempty"`
	// ICEServers are STUN/TURN servers, for viewers across NAT.
	ICEServers []ICEServerConfig `yaml:"ice_servers,omitempty"`
	// MaxViewers bounds the live views of the whole server, and
	// MaxViewersPerUser those of one person (a 5x5 wall is 25).
	MaxViewers        int `yaml:"max_viewers"`
	MaxViewersPerUser int `yaml:"max_viewers_per_user"`
}

// AnalyticsConfig sets motion and tamper analytics on the cameras' sub
// streams (zones and masks are per camera, in the web UI or the API).
type AnalyticsConfig struct {
	Enabled bool `yaml:"enabled"`
	// Rate is pictures analysed a second per camera; Workers bounds the
	// cameras decoding or analysing at once (0: one per CPU).
	Rate    float64 `yaml:"rate"`
	Workers int     `yaml:"workers"`
	// Width is the width pictures are analysed at.
	Width int `yaml:"width"`
	// Stream is the stream analysed: sub (the default) or main.
	Stream string `yaml:"stream"`
	// How long a tamper condition must hold before it is an event.
	CoveredAfter time.Duration `yaml:"covered_after"`
	MovedAfter   time.Duration `yaml:"moved_after"`
	DefocusAfter time.Duration `yaml:"defocus_after"`
	FrozenAfter  time.Duration `yaml:"frozen_after"`
}

// ANPRConfig sets number-plate reading on the analysed streams, how long
// reads are kept, and the nuisance-vehicle rules (the watch-list itself is
// kept in the store, managed in the web UI).
type ANPRConfig struct {
	Enabled bool `yaml:"enabled"`
	// Cameras are the cameras whose plates are read (empty: every analysed camera).
	Cameras []string `yaml:"cameras,omitempty"`
	// Region is the plate syntax: gb (UK marks, corrected to a valid
	// mark) or any (as read).
	Region string `yaml:"region"`
	// Retention is how long reads are kept (default 90 days); older
	// ones are deleted, and the deletion logged.
	Retention time.Duration `yaml:"retention"`
	// WatchMaxDistance is how far a read may be from a listed plate and
	// still alert (confusion-aware edit distance; default 0.5).
	WatchMaxDistance float64 `yaml:"watch_max_distance"`
	// Rules are the behaviour rules: repeat-pass, dwell, gathering.
	Rules []nuisance.Rule `yaml:"rules,omitempty"`
	// MainStream: plates too small to read in the analysed (sub) stream
	// are read in the main stream's keyframes, decoded alone, about once a
	// second while such plates are in view (default true).
	MainStream *bool `yaml:"main_stream"`
}

// BJAGConfig sets the mobile camera deployment workflow of the joint
// action group.
type BJAGConfig struct {
	// Borough bounds where deployments may be asked for and cameras put up
	// (default: the demo borough).
	Borough BoroughConfig `yaml:"borough"`
	// ReviewGrace is how long a review may stay undecided past its date
	// before it is overdue and alerts (default 7 days; again each grace).
	ReviewGrace time.Duration `yaml:"review_grace"`
}

// BoroughConfig is a box of latitudes and longitudes.
type BoroughConfig struct {
	MinLat float64 `yaml:"min_lat"`
	MaxLat float64 `yaml:"max_lat"`
	MinLon float64 `yaml:"min_lon"`
	MaxLon float64 `yaml:"max_lon"`
}

// AlertsConfig sets where alerts go besides the web UI.
type AlertsConfig struct {
	// WebhookURL receives every alert as JSON (empty: none). With
	// WebhookSecret, X-Vigil-Signature carries the HMAC-SHA256 of the body
	// (set it through VIGIL_ALERTS_WEBHOOK_SECRET rather than the file).
	WebhookURL      string        `yaml:"webhook_url"`
	WebhookSecret   string        `yaml:"webhook_secret"`
	WebhookTimeout  time.Duration `yaml:"webhook_timeout"`
	WebhookQueue    int           `yaml:"webhook_queue"`
	WebhookAttempts int           `yaml:"webhook_attempts"`
	WebhookBackoff  time.Duration `yaml:"webhook_backoff"`
}

// ICEServerConfig is one STUN or TURN server.
type ICEServerConfig struct {
	URLs       []string `yaml:"urls"`
	Username   string   `yaml:"username"`
	Credential string   `yaml:"credential"`
}

// CameraConfig is a camera declared in the config file.
type CameraConfig struct {
	ID        string   `yaml:"id"`
	Name      string   `yaml:"name"`
	Site      string   `yaml:"site"`
	Ward      string   `yaml:"ward"`
	Latitude  *float64 `yaml:"latitude"`
	Longitude *float64 `yaml:"longitude"`
	// Kind is fixed or mobile (a redeployable camera).
	Kind    string `yaml:"kind"`
	MainURL string `yaml:"main_url"`
	SubURL  string `yaml:"sub_url"`
	// Credentials: Password, or better PasswordEnv naming an environment
	// variable that holds it, so the file can be shared.
	Username      string `yaml:"username"`
	Password      string `yaml:"password"`
	PasswordEnv   string `yaml:"password_env"`
	RetentionDays int    `yaml:"retention_days"`
	// Enabled defaults to true.
	Enabled *bool `yaml:"enabled"`
	// ONVIFURL is the camera's ONVIF device service (same credentials);
	// PTZProfile, the media profile whose PTZ configuration steers a dome.
	ONVIFURL   string `yaml:"onvif_url"`
	PTZProfile string `yaml:"ptz_profile"`
}

// ONVIFConfig is how Vigil finds ONVIF cameras and watches them (issue 11).
type ONVIFConfig struct {
	// Discovery allows WS-Discovery probes from the cameras page (off by
	// default: a probe is multicast on the local network segment).
	Discovery bool `yaml:"discovery"`
	// Interface is the network interface probes go out on (e.g. eth1, the
	// camera network); empty: the system's choice.
	Interface string `yaml:"interface"`
	// ProbeAddress sends probes to one host:port instead of multicast
	// (a camera network's relay, or a simulator).
	ProbeAddress string `yaml:"probe_address"`
	// PollInterval: how often each camera with an onvif_url is asked its
	// time (reachability and clock drift metrics).
	PollInterval time.Duration `yaml:"poll_interval"`
	// PTZDeadMan stops a continuous move the browser stopped repeating;
	// PTZLockIdle frees a dome its holder stopped steering.
	PTZDeadMan  time.Duration `yaml:"ptz_dead_man"`
	PTZLockIdle time.Duration `yaml:"ptz_lock_idle"`
}

// DemoConfig runs an in-process camera simulator and registers its cameras.
type DemoConfig struct {
	Enabled bool `yaml:"enabled"`
	// Cameras is how many simulated cameras to run.
	Cameras int `yaml:"cameras"`
	// RTSPListen is the simulator's RTSP address (loopback).
	RTSPListen string `yaml:"rtsp_listen"`
	// ClipDir caches the simulator's generated clips; default DATA_DIR/clips.
	ClipDir string `yaml:"clip_dir"`
	// Scenes are what some demo cameras show instead of the street, by
	// camera (cam007: zone): a test scene with zones, one that is
	// tampered with (covered, moved, defocus, frozen) 30 s in every 60 s,
	// or vehicles with known number plates passing (plates), so that a
	// new site shows zone events, tamper alerts and plate reads. A camera
	// beyond Cameras is left out.
	Scenes map[string]string `yaml:"scenes"`
	// PTZ are the demo cameras that are pan-tilt-zoom domes, steered from
	// the wall (their picture is a panorama of numbered blocks, drawn and
	// encoded live). ONVIFListen is where every demo camera's ONVIF device
	// service listens (a port each, from this one; port 0: free ports);
	// the demo also answers WS-Discovery probes on loopback.
	PTZ         []string `yaml:"ptz"`
	ONVIFListen string   `yaml:"onvif_listen"`
}

// DefaultConfig is the configuration with every default filled in.
func DefaultConfig() Config {
	return Config{
		Listen:    ":8080",
		DataDir:   "./data",
		LogLevel:  "info",
		LogFormat: "text",
		Ingest: IngestConfig{
			Transport:     "tcp",
			ReadTimeout:   10 * time.Second,
			ReconnectMin:  time.Second,
			ReconnectMax:  30 * time.Second,
			GOPCacheBytes: 8 << 20,
		},
		Recorder: RecorderConfig{
			Enabled:           true,
			SegmentDuration:   5 * time.Minute,
			SyncInterval:      2 * time.Second,
			QueueFrames:       1000,
			MinFreeBytes:      1 << 30,
			RetentionInterval: time.Minute,
			S3: S3Config{Prefix: "recordings", Region: "us-east-1", TLS: true,
				UploadWorkers: 4, UploadInterval: 10 * time.Second},
		},
		Evidence: EvidenceConfig{
			Origin:             "vigil.localhost/evidence",
			CheckpointInterval: 5 * time.Second,
			VerifierDir:        "bin/verify",
		},
		TLS: TLSConfig{Mode: "on"},
		Access: AccessConfig{
			SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour,
			LockAfter: 5, LockFor: time.Minute, LockMax: time.Hour,
			ExportRequestMaxAge: 7 * 24 * time.Hour, PoliceGrant: 30 * 24 * time.Hour, DownloadLinkTTL: 24 * time.Hour,
		},
		Live: LiveConfig{UDPPort: 8189, TCPPort: 8189, MaxViewers: 500, MaxViewersPerUser: 40},
		Analytics: AnalyticsConfig{Enabled: true, Rate: 5, Width: 160, Stream: "sub",
			CoveredAfter: 10 * time.Second, MovedAfter: 10 * time.Second, DefocusAfter: 10 * time.Second, FrozenAfter: 2 * time.Minute},
		Alerts:  AlertsConfig{WebhookTimeout: 5 * time.Second, WebhookQueue: 256, WebhookAttempts: 4, WebhookBackoff: time.Second},
		ANPR:    ANPRConfig{Region: "gb", Retention: store.PlateReadRetention, WatchMaxDistance: nuisance.DefaultMaxDistance},
		Cluster: ClusterConfig{Capacity: 300, LeaseTTL: cluster.DefaultLeaseTTL},
		ONVIF:   ONVIFConfig{PollInterval: 30 * time.Second, PTZDeadMan: time.Second, PTZLockIdle: time.Minute},
		BJAG: BJAGConfig{ReviewGrace: tasking.DefaultReviewGrace, Borough: BoroughConfig{MinLat: tasking.DefaultBorough.MinLat,
			MaxLat: tasking.DefaultBorough.MaxLat, MinLon: tasking.DefaultBorough.MinLon, MaxLon: tasking.DefaultBorough.MaxLon}},
		Demo: DemoConfig{Cameras: 8, RTSPListen: "127.0.0.1:8554", ONVIFListen: "127.0.0.1:0", PTZ: []string{"cam004"},
			Scenes: map[string]string{"cam006": "plates", "cam007": "zone", "cam008": "covered"}},
	}
}

// DemoSiteConfig is what `vigil serve` runs with no -config: the demo site.
func DemoSiteConfig() Config {
	c := DefaultConfig()
	c.Demo.Enabled = true
	// The plates scene's camera reads number plates: a vehicle passing
	// three times in half an hour is cruising.
	c.ANPR.Enabled, c.ANPR.Cameras = true, []string{"cam006"}
	c.ANPR.Rules = []nuisance.Rule{{Name: "Bus garage cruising", Kind: nuisance.RepeatPass, Cameras: []string{"cam006"},
		Count: 3, Window: 30 * time.Minute}}
	return c
}

// LoadConfig reads a config file over the defaults, applies environment
// overrides and validates the result.
func LoadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return DefaultConfig(), fmt.Errorf("config: %w", err)
	}
	return ParseConfig(path, raw)
}

// ParseConfig is LoadConfig on the file's contents; name appears in errors.
func ParseConfig(name string, raw []byte) (Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) /* an empty file means all defaults */ {
		return c, fmt.Errorf("config %s: %w", name, err)
	}
	if err := applyEnv(&c, os.LookupEnv); err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("config %s: %w", name, err)
	}
	return c, nil
}

// Validate checks the configuration and names every bad field.
func (c *Config) Validate() error {
	var es store.FieldErrors
	bad := func(field, format string, args ...any) {
		es = append(es, &store.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port: %v", c.Listen, err)
	}
	if c.DataDir == "" {
		bad("data_dir", "is required")
	}
	if o := c.ONVIF; o.ProbeAddress != "" {
		if _, _, err := net.SplitHostPort(o.ProbeAddress); err != nil {
			bad("onvif.probe_address", "%q is not host:port: %v", o.ProbeAddress, err)
		}
	}
	if o := c.ONVIF; o.PollInterval < time.Second || o.PTZDeadMan < 100*time.Millisecond || o.PTZDeadMan > 10*time.Second || o.PTZLockIdle < 5*time.Second {
		bad("onvif", "poll_interval must be at least 1s, ptz_dead_man from 100ms to 10s, ptz_lock_idle at least 5s")
	}
	if d := c.Store.DSN; d != "" {
		if u, err := url.Parse(d); !store.IsPostgresURL(d) || err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			bad("store.dsn", "must be empty (SQLite in data_dir) or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
		}
	}
	if cl := c.Cluster; cl.NodeID != "" {
		if !store.ValidID(cl.NodeID) {
			bad("cluster.node_id", "%q must be 1-64 of a-z 0-9 - _", cl.NodeID)
		}
		if !store.IsPostgresURL(c.Store.DSN) {
			bad("cluster.node_id", "several nodes share a PostgreSQL store: set store.dsn (VIGIL_STORE_DSN)")
		}
		if u, err := url.Parse(cl.AdvertiseURL); cl.AdvertiseURL != "" && (err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https")) {
			bad("cluster.advertise_url", "%q must be http(s)://HOST:PORT", cl.AdvertiseURL)
		}
	}
	if c.Cluster.Capacity < 1 || c.Cluster.Capacity > 10000 {
		bad("cluster.capacity", "%d must be between 1 and 10000", c.Cluster.Capacity)
	}
	if c.Cluster.LeaseTTL < 3*time.Second || c.Cluster.LeaseTTL > 5*time.Minute {
		bad("cluster.lease_ttl", "%v must be between 3s and 5m", c.Cluster.LeaseTTL)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		bad("log_level", "%q must be debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log_format", "%q must be text or json", c.LogFormat)
	}
	in := c.Ingest
	if in.Transport != "tcp" && in.Transport != "udp" {
		bad("ingest.transport", "%q must be tcp or udp", in.Transport)
	}
	if in.ReadTimeout < time.Second {
		bad("ingest.read_timeout", "%v must be at least 1s", in.ReadTimeout)
	}
	if in.ReconnectMin <= 0 {
		bad("ingest.reconnect_min", "%v must be positive", in.ReconnectMin)
	}
	if in.ReconnectMax < in.ReconnectMin {
		bad("ingest.reconnect_max", "%v must not be less than reconnect_min (%v)", in.ReconnectMax, in.ReconnectMin)
	}
	if in.GOPCacheBytes < 0 {
		bad("ingest.gop_cache_bytes", "%d must not be negative", in.GOPCacheBytes)
	}
	rc := c.Recorder
	if rc.SegmentDuration < 2*time.Second || rc.SegmentDuration > time.Hour {
		bad("recorder.segment_duration", "%v must be between 2s and 1h", rc.SegmentDuration)
	}
	if rc.SyncInterval < 100*time.Millisecond || rc.SyncInterval > time.Minute {
		bad("recorder.sync_interval", "%v must be between 100ms and 1m", rc.SyncInterval)
	}
	if rc.QueueFrames < 50 || rc.QueueFrames > 100000 {
		bad("recorder.queue_frames", "%d must be between 50 and 100000", rc.QueueFrames)
	}
	if rc.QuotaBytes < 0 {
		bad("recorder.quota_bytes", "%d must not be negative", rc.QuotaBytes)
	}
	if rc.MinFreeBytes < 0 {
		bad("recorder.min_free_bytes", "%d must not be negative", rc.MinFreeBytes)
	}
	ec := c.Evidence
	if ec.Origin == "" || strings.ContainsAny(ec.Origin, " \t+") {
		bad("evidence.origin", "%q must be a name without spaces or '+', e.g. cctv.example-council.gov.uk/evidence", ec.Origin)
	}
	if ec.CheckpointInterval < time.Second || ec.CheckpointInterval > time.Hour {
		bad("evidence.checkpoint_interval", "%v must be between 1s and 1h", ec.CheckpointInterval)
	}
	if rc.RetentionInterval < time.Second {
		bad("recorder.retention_interval", "%v must be at least 1s", rc.RetentionInterval)
	}
	c.validateS3(bad)
	if c.TLS.Mode != "on" && c.TLS.Mode != "off" {
		bad("tls.mode", "%q must be on or off", c.TLS.Mode)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		bad("tls.cert_file", "set both cert_file and key_file, or neither (a self-signed certificate)")
	}
	ac := c.Access
	for _, d := range []struct {
		field    string
		v        time.Duration
		min, max time.Duration
	}{
		{"access.session_idle", ac.SessionIdle, time.Minute, 24 * time.Hour},
		{"access.session_max", ac.SessionMax, time.Minute, 7 * 24 * time.Hour},
		{"access.lock_for", ac.LockFor, time.Second, 24 * time.Hour},
		{"access.lock_max", ac.LockMax, ac.LockFor, 7 * 24 * time.Hour},
		{"access.export_request_max_age", ac.ExportRequestMaxAge, time.Hour, 90 * 24 * time.Hour},
		{"access.police_grant", ac.PoliceGrant, time.Hour, 366 * 24 * time.Hour},
		{"access.download_link_ttl", ac.DownloadLinkTTL, time.Minute, 7 * 24 * time.Hour},
	} {
		if d.v < d.min || d.v > d.max {
			bad(d.field, "%v must be between %v and %v", d.v, d.min, d.max)
		}
	}
	if ac.LockAfter < 1 || ac.LockAfter > 100 {
		bad("access.lock_after", "%d must be between 1 and 100", ac.LockAfter)
	}
	lc := c.Live
	for _, p := range []struct {
		field string
		v     int
	}{{"live.udp_port", lc.UDPPort}, {"live.tcp_port", lc.TCPPort}} {
		if p.v < -1 || p.v > 65535 {
			bad(p.field, "%d must be a port (1-65535), 0 (any free port) or -1 (off)", p.v)
		}
	}
	if lc.UDPPort == -1 && lc.TCPPort == -1 {
		bad("live.udp_port", "UDP and TCP cannot both be off: live view needs one")
	}
	if lc.MaxViewers < 1 || lc.MaxViewers > 100000 {
		bad("live.max_viewers", "%d must be between 1 and 100000", lc.MaxViewers)
	}
	if lc.MaxViewersPerUser < 1 || lc.MaxViewersPerUser > lc.MaxViewers {
		bad("live.max_viewers_per_user", "%d must be between 1 and live.max_viewers (%d)", lc.MaxViewersPerUser, lc.MaxViewers)
	}
	for i, ip := range lc.NAT1To1IPs {
		if net.ParseIP(ip) == nil {
			bad(fmt.Sprintf("live.nat_1to1_ips[%d]", i), "%q is not an IP address", ip)
		}
	}
	for i, is := range lc.ICEServers {
		if len(is.URLs) == 0 {
			bad(fmt.Sprintf("live.ice_servers[%d].urls", i), "name at least one stun: or turn: URL")
		}
		for _, u := range is.URLs {
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
				bad(fmt.Sprintf("live.ice_servers[%d].urls", i), "%q must start with stun:, stuns:, turn: or turns:", u)
			}
		}
	}
	if c.Analytics.Enabled {
		if err := c.Analytics.engineConfig().Validate(); err != nil {
			bad("analytics", "%v", err)
		}
	}
	if c.ANPR.Region != "gb" && c.ANPR.Region != "any" {
		bad("anpr.region", "%q must be gb or any", c.ANPR.Region)
	}
	if c.ANPR.Retention < 24*time.Hour || c.ANPR.Retention > 5*366*24*time.Hour {
		bad("anpr.retention", "%v must be between 24h and 5 years", c.ANPR.Retention)
	}
	if b := c.BJAG.Borough; b.MinLat >= b.MaxLat || b.MinLon >= b.MaxLon || b.MinLat < -90 || b.MaxLat > 90 || b.MinLon < -180 || b.MaxLon > 180 {
		bad("bjag.borough", "min_lat < max_lat and min_lon < max_lon, in degrees")
	}
	if c.BJAG.ReviewGrace < time.Hour || c.BJAG.ReviewGrace > 90*24*time.Hour {
		bad("bjag.review_grace", "%v must be between 1h and 90 days", c.BJAG.ReviewGrace)
	}
	if c.ANPR.WatchMaxDistance < 0 || c.ANPR.WatchMaxDistance > 2 {
		bad("anpr.watch_max_distance", "%v must be between 0 and 2", c.ANPR.WatchMaxDistance)
	}
	for i, r := range c.ANPR.Rules {
		if err := r.Validate(); err != nil {
			bad(fmt.Sprintf("anpr.rules[%d]", i), "%v", err)
		}
	}
	if err := c.Alerts.webhook().Validate(); err != nil {
		var fe store.FieldErrors
		if errors.As(err, &fe) {
			es = append(es, fe.Prefix("alerts")...)
		} else {
			bad("alerts", "%v", err)
		}
	}
	if c.GrafanaURL != "" {
		if u, err := url.Parse(c.GrafanaURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("grafana_url", "%q must be an http(s) URL", c.GrafanaURL)
		}
	}
	seen := map[string]int{}
	for i, cc := range c.Cameras {
		prefix := fmt.Sprintf("cameras[%d]", i)
		if j, dup := seen[cc.ID]; dup {
			bad(prefix+".id", "%q is also cameras[%d]", cc.ID, j)
		}
		seen[cc.ID] = i
		if cc.PasswordEnv != "" && cc.Password != "" {
			bad(prefix+".password_env", "set password or password_env, not both")
		}
		if cc.PasswordEnv != "" {
			if _, ok := os.LookupEnv(cc.PasswordEnv); !ok {
				bad(prefix+".password_env", "environment variable %s is not set", cc.PasswordEnv)
			}
		}
		cam := cc.Camera()
		if err := cam.Validate(); err != nil {
			var fe store.FieldErrors
			if errors.As(err, &fe) {
				es = append(es, fe.Prefix(prefix)...)
			}
		}
	}
	if c.Demo.Enabled {
		if c.Demo.Cameras < 1 || c.Demo.Cameras > 999 {
			bad("demo.cameras", "%d must be between 1 and 999", c.Demo.Cameras)
		}
		if _, _, err := net.SplitHostPort(c.Demo.RTSPListen); err != nil {
			bad("demo.rtsp_listen", "%q is not host:port: %v", c.Demo.RTSPListen, err)
		}
		for cam, scene := range c.Demo.Scenes {
			if _, err := sim.ParseScenes([]string{cam + ":" + scene}); err != nil {
				bad("demo.scenes", "%v", err)
			}
		}
	}
	if len(es) == 0 {
		return nil
	}
	return es
}

// Camera converts a config entry into a store record.
func (cc CameraConfig) Camera() store.Camera {
	c := store.Camera{
		ID: cc.ID, Name: cc.Name, Site: cc.Site, Ward: cc.Ward,
		Latitude: cc.Latitude, Longitude: cc.Longitude, Kind: cc.Kind,
		MainURL: cc.MainURL, SubURL: cc.SubURL, Username: cc.Username, Password: cc.Password,
		RetentionDays: cc.RetentionDays, Enabled: cc.Enabled == nil || *cc.Enabled,
		ManagedBy: store.ManagedByConfig, ONVIFURL: cc.ONVIFURL, PTZProfile: cc.PTZProfile,
	}
	if cc.PasswordEnv != "" {
		c.Password = os.Getenv(cc.PasswordEnv)
	}
	c.Normalize()
	return c
}

// slogLevel parses a validated level.
func (c *Config) slogLevel() slog.Level {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(strings.ToUpper(c.LogLevel)))
	return lvl
}

// DemoConfigFromEnv is the demo site's configuration with VIGIL_*
// environment overrides applied.
func DemoConfigFromEnv() (Config, error) {
	c := DemoSiteConfig()
	if err := applyEnv(&c, os.LookupEnv); err != nil {
		return c, err
	}
	return c, c.Validate()
}
