// Package sim is an RTSP camera simulator: a gortsplib server publishing N synthetic H.264
// cameras (cam001, cam002, ...), each with a main and a sub stream, looping clips of a street
// scene (moving vehicles with UK number plates) generated once with ffmpeg and cached.
//
// Each clip is packetized into RTP payloads once and shared read-only by all cameras; per
// camera only RTP header fields change. Faults (drops, stalls, corrupt packets, timestamp
// jumps, refused connections, authentication, wall clock offsets, other codecs) are set per
// camera at start (Config.Faults) or at run time (Server.SetFault, or the HTTP control API).
//
// A camera may show a test scene instead of the street (Config.Scenes, Scene): a zone scene
// where boxes cross the zones "Doorway" and "Road" at known times, and tamper scenes
// (covered, moved, defocus, frozen) that are tampered for the second half of their loop.
// Each comes with a ground truth (Truth) computed from the numbers that draw it.
//
// PTZ cameras (Config.PTZ) are drawn live instead of looping a clip: a window over a panorama
// of numbered coloured blocks (PTZWindow, PTZBlockAt, RenderPTZView), placed by the camera's
// pan, tilt and zoom, rendered in Go and encoded by an ffmpeg (libx264) subprocess per stream.
//
// With Config.ONVIFListen every camera also has an ONVIF device service (SOAP 1.2: device,
// media, and PTZ on PTZ cameras) on a port of its own at the standard paths
// (http://HOST:PORT/onvif/device_service; Server.ONVIFURL), authenticated with the camera's RTSP
// credentials (WS-Security UsernameToken digest or HTTP Digest). Config.DiscoveryListen answers
// WS-Discovery probes with one ProbeMatch per camera. The wire format is the ONVIF subset the
// Vigil client uses (Core, Media ver10, PTZ ver20, WS-Discovery 2005/04).
//
// The service runs it in-process for its demo site, integration tests run it on
// 127.0.0.1:0, and cmd/camsim wraps it in a CLI.
package sim
