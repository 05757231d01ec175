// Package onvif is the service's ONVIF client (a Profile S/T subset): it
// finds cameras with WS-Discovery, imports their identity, clock offset and
// media profiles with stream URIs, and steers PTZ domes.
//
// A Client talks to one camera's device service (Config.XAddr). It is safe
// for concurrent use and learns three things as it goes, so later calls
// cost one request each: the camera's clock offset (GetSystemDateAndTime,
// which needs no credentials), which authentication the camera accepts,
// and its media and PTZ service addresses (GetServices, or GetCapabilities
// on cameras without it). Import does all of it and suggests a main stream
// (largest H.264 picture) and sub stream (smallest) for ingest and
// analytics.
//
// Authentication: a WS-Security UsernameToken with PasswordDigest is tried
// first, its Created stamped on the camera's clock so a camera whose clock
// is hours out still accepts it; when the camera answers 401 with a Digest
// challenge, HTTP Digest (RFC 7616: MD5 or SHA-256, qop=auth or none) is
// used instead. What worked is remembered per Client.
//
// Camera answers are outside input. Every call has a timeout covering auth
// retries, bodies are read up to Config.MaxResponse (1 MiB), and the XML is
// checked before decoding: a DOCTYPE (so any entity declaration) is
// refused, nesting is bounded, and only a SOAP 1.2 envelope whose body is
// the expected response, matched by namespace URI, is decoded. Inside a
// response, fields are matched by local name because cameras are loose
// about the namespaces of child elements. Faults come back as *Fault; test
// them with IsFault(err, NotAuthorized), and the other failures with
// errors.Is against ErrAuth, ErrTimeout, ErrUnreachable, ErrTooLarge,
// ErrMalformed, ErrInvalidArg and ErrNoPTZ.
//
// Probe sends a WS-Discovery Probe to the multicast group (from a chosen
// interface) or to one unicast address, and collects the matching answers
// until its timeout, bounded in datagram size and device count.
//
// Not done yet:
//   - Media2 (ver20 media, H.265 profiles), snapshots (GetSnapshotUri),
//     events (pull-point subscriptions), imaging, analytics, recording
//     search and replay, device management (users, network, reboot).
//   - SOAP 1.1 cameras: only SOAP 1.2 answers are accepted.
//   - PTZ in other than the generic coordinate spaces: positions and
//     velocities are in the generic spaces and not mapped to degrees;
//     GetNodes and GetConfigurationOptions are not read, so a camera's own
//     narrower limits are enforced by the camera, not here.
//   - Rewriting service and stream addresses for cameras behind NAT that
//     report their private address; the addresses are used as reported.
//   - Re-learning the clock offset: it is read once per Client; a Client
//     kept for days against a drifting camera clock should be replaced.
//   - HTTPS verification policy: set Config.HTTPClient for cameras with
//     their own certificates.
//   - WS-Discovery Hello/Bye listening and IPv6 multicast (unicast IPv6
//     works); non-UTF-8 answers other than ISO-8859-1.
package onvif
