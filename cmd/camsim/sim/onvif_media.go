package sim

import (
	"encoding/xml"
	"net"
	"strconv"
)

// The media service: two profiles, "main" and "sub", one per RTSP stream of the camera.

func (o *onvifService) addMediaOps() {
	op := func(local string, f onvifOp) { o.ops[xml.Name{Space: nsMedia, Local: local}] = f }
	op("GetProfiles", (*onvifCall).getProfiles)
	op("GetProfile", (*onvifCall).getProfile)
	op("GetStreamUri", (*onvifCall).getStreamURI)
}

func (c *onvifCall) getProfiles() *soapFault {
	c.w.open("trt:GetProfilesResponse")
	for _, kind := range []string{StreamMain, StreamSub} {
		c.writeProfile("trt:Profiles", kind)
	}
	c.w.close("trt:GetProfilesResponse")
	return nil
}

func (c *onvifCall) getProfile() *soapFault {
	kind, f := profileKind(c.req.Op.text("ProfileToken"))
	if f != nil {
		return f
	}
	c.w.open("trt:GetProfileResponse")
	c.writeProfile("trt:Profile", kind)
	c.w.close("trt:GetProfileResponse")
	return nil
}

func (c *onvifCall) writeProfile(elem, kind string) {
	spec, src := c.svc.s.streamSpec(c.cam, kind), c.svc.s.streamSpec(c.cam, StreamMain)
	w := c.w
	w.open(elem, "token", kind, "fixed", "true")
	w.leaf("tt:Name", kind+"Stream")
	w.open("tt:VideoSourceConfiguration", "token", "vsc0")
	w.leaf("tt:Name", "video source")
	w.leaf("tt:UseCount", "2")
	w.leaf("tt:SourceToken", "vs0")
	w.empty("tt:Bounds", "x", "0", "y", "0", "width", strconv.Itoa(src.Width), "height", strconv.Itoa(src.Height))
	w.close("tt:VideoSourceConfiguration")
	w.open("tt:VideoEncoderConfiguration", "token", "vec_"+kind)
	w.leaf("tt:Name", kind)
	w.leaf("tt:UseCount", "1")
	w.leaf("tt:Encoding", "H264")
	w.open("tt:Resolution")
	w.leaf("tt:Width", strconv.Itoa(spec.Width))
	w.leaf("tt:Height", strconv.Itoa(spec.Height))
	w.close("tt:Resolution")
	w.leaf("tt:Quality", "5")
	w.open("tt:RateControl")
	w.leaf("tt:FrameRateLimit", strconv.Itoa(spec.FPS))
	w.leaf("tt:EncodingInterval", "1")
	w.leaf("tt:BitrateLimit", strconv.Itoa(spec.Bitrate/1000)) // kbit/s
	w.close("tt:RateControl")
	w.open("tt:H264")
	w.leaf("tt:GovLength", strconv.Itoa(spec.GOPFrames()))
	w.leaf("tt:H264Profile", "Baseline")
	w.close("tt:H264")
	w.leaf("tt:SessionTimeout", "PT60S")
	w.close("tt:VideoEncoderConfiguration")
	if c.cam.ptz != nil {
		writePTZConfiguration(w, "tt:PTZConfiguration")
	}
	w.close(elem)
}

func (c *onvifCall) getStreamURI() *soapFault {
	op := c.req.Op
	kind, f := profileKind(op.text("ProfileToken"))
	if f != nil {
		return f
	}
	if setup := op.child("", "StreamSetup"); setup != nil {
		if s := setup.text("Stream"); s != "" && s != "RTP-Unicast" {
			return invalidArg("ter:InvalidStreamSetup", "Stream %q: only RTP-Unicast", truncate(s))
		}
		switch p := setup.text("Transport", "Protocol"); p {
		case "", "RTSP", "TCP", "UDP":
		default:
			return invalidArg("ter:InvalidStreamSetup", "Transport/Protocol %q: RTSP, TCP or UDP", truncate(p))
		}
	}
	w := c.w
	w.open("trt:GetStreamUriResponse")
	w.open("trt:MediaUri")
	w.leaf("tt:Uri", c.rtspURL(kind))
	w.leaf("tt:InvalidAfterConnect", "false")
	w.leaf("tt:InvalidAfterReboot", "false")
	w.leaf("tt:Timeout", "PT0S")
	w.close("trt:MediaUri")
	w.close("trt:GetStreamUriResponse")
	return nil
}

// rtspURL is the camera's stream URL; when RTSP listens on every interface, on the host the
// client reached the ONVIF service at.
func (c *onvifCall) rtspURL(kind string) string {
	u := c.svc.s.URL(c.idx, kind)
	rhost, _, err := net.SplitHostPort(c.svc.s.Addr())
	if ip := net.ParseIP(rhost); err != nil || !(rhost == "" || ip != nil && ip.IsUnspecified()) {
		return u
	}
	host, _, err := net.SplitHostPort(c.host)
	if err != nil {
		return u
	}
	_, port, _ := net.SplitHostPort(c.svc.s.Addr())
	return "rtsp://" + net.JoinHostPort(host, port) + "/" + c.cam.name + "/" + kind
}
