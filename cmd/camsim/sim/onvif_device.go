package sim

import (
	"encoding/xml"
	"strconv"

	"github.com/google/uuid"
)

// What the device service says about a simulated camera.
const (
	onvifManufacturer = "Vigil camsim"
	onvifFirmware     = "1.0.0"
	modelFixed        = "camsim-fixed"
	modelPTZ          = "camsim-ptz"
)

func (c *camera) model() string {
	if c.ptz != nil {
		return modelPTZ
	}
	return modelFixed
}

// serial is stable for a camera name, so a client sees the same device after a restart.
func cameraSerial(name string) string {
	return "VCS-" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("vigil-camsim/"+name)).String()[:8]
}

// cameraEndpoint is the camera's WS-Discovery endpoint reference, stable for its name.
func cameraEndpoint(name string) string {
	return "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("vigil-camsim/"+name)).String()
}

func (o *onvifService) addDeviceOps() {
	op := func(local string, f onvifOp) { o.ops[xml.Name{Space: nsDevice, Local: local}] = f }
	op("GetSystemDateAndTime", (*onvifCall).getSystemDateAndTime)
	op("GetDeviceInformation", (*onvifCall).getDeviceInformation)
	op("GetCapabilities", (*onvifCall).getCapabilities)
	op("GetServices", (*onvifCall).getServices)
	op("GetScopes", (*onvifCall).getScopes)
}

func (c *onvifCall) getSystemDateAndTime() *soapFault {
	w, t := c.w, c.now.UTC()
	w.open("tds:GetSystemDateAndTimeResponse")
	w.open("tds:SystemDateAndTime")
	w.leaf("tt:DateTimeType", "Manual")
	w.leaf("tt:DaylightSavings", "false")
	w.open("tt:TimeZone")
	w.leaf("tt:TZ", "GMT0BST,M3.5.0/1,M10.5.0")
	w.close("tt:TimeZone")
	w.open("tt:UTCDateTime")
	w.open("tt:Time")
	w.leaf("tt:Hour", strconv.Itoa(t.Hour()))
	w.leaf("tt:Minute", strconv.Itoa(t.Minute()))
	w.leaf("tt:Second", strconv.Itoa(t.Second()))
	w.close("tt:Time")
	w.open("tt:Date")
	w.leaf("tt:Year", strconv.Itoa(t.Year()))
	w.leaf("tt:Month", strconv.Itoa(int(t.Month())))
	w.leaf("tt:Day", strconv.Itoa(t.Day()))
	w.close("tt:Date")
	w.close("tt:UTCDateTime")
	w.close("tds:SystemDateAndTime")
	w.close("tds:GetSystemDateAndTimeResponse")
	return nil
}

func (c *onvifCall) getDeviceInformation() *soapFault {
	w := c.w
	w.open("tds:GetDeviceInformationResponse")
	w.leaf("tds:Manufacturer", onvifManufacturer)
	w.leaf("tds:Model", c.cam.model())
	w.leaf("tds:FirmwareVersion", onvifFirmware)
	w.leaf("tds:SerialNumber", cameraSerial(c.cam.name))
	w.leaf("tds:HardwareId", c.cam.model()+"-1")
	w.close("tds:GetDeviceInformationResponse")
	return nil
}

func (c *onvifCall) getCapabilities() *soapFault {
	// Category is a list in the schema; clients send one value, usually All
	all, want := false, map[string]bool{}
	for _, n := range c.req.Op.Children {
		if n.Name.Local != "Category" {
			continue
		}
		switch n.Text {
		case "All":
			all = true
		case "Device", "Media":
			want[n.Text] = true
		case "PTZ":
			if c.cam.ptz == nil {
				return notSupported(c.cam.name+" has no PTZ", "ter:NoSuchService")
			}
			want[n.Text] = true
		case "Analytics", "Events", "Imaging":
			return notSupported("no "+n.Text+" service", "ter:NoSuchService")
		default:
			return invalidArg("", "Category %q", truncate(n.Text))
		}
	}
	if len(want) == 0 {
		all = true
	}
	w := c.w
	w.open("tds:GetCapabilitiesResponse")
	w.open("tds:Capabilities")
	if all || want["Device"] {
		w.open("tt:Device")
		w.leaf("tt:XAddr", c.xaddr(onvifDevicePath))
		w.close("tt:Device")
	}
	if all || want["Media"] {
		w.open("tt:Media")
		w.leaf("tt:XAddr", c.xaddr(onvifMediaPath))
		w.open("tt:StreamingCapabilities")
		w.leaf("tt:RTPMulticast", "false")
		w.leaf("tt:RTP_TCP", "true")
		w.leaf("tt:RTP_RTSP_TCP", "true")
		w.close("tt:StreamingCapabilities")
		w.close("tt:Media")
	}
	if c.cam.ptz != nil && (all || want["PTZ"]) {
		w.open("tt:PTZ")
		w.leaf("tt:XAddr", c.xaddr(onvifPTZPath))
		w.close("tt:PTZ")
	}
	w.close("tds:Capabilities")
	w.close("tds:GetCapabilitiesResponse")
	return nil
}

func (c *onvifCall) getServices() *soapFault {
	w := c.w
	w.open("tds:GetServicesResponse")
	service := func(ns, path string, major, minor int) {
		w.open("tds:Service")
		w.leaf("tds:Namespace", ns)
		w.leaf("tds:XAddr", c.xaddr(path))
		w.open("tds:Version")
		w.leaf("tt:Major", strconv.Itoa(major))
		w.leaf("tt:Minor", strconv.Itoa(minor))
		w.close("tds:Version")
		w.close("tds:Service")
	}
	service(nsDevice, onvifDevicePath, 2, 60)
	service(nsMedia, onvifMediaPath, 2, 60)
	if c.cam.ptz != nil {
		service(nsPTZ, onvifPTZPath, 2, 60)
	}
	w.close("tds:GetServicesResponse")
	return nil
}

func (c *onvifCall) getScopes() *soapFault {
	w := c.w
	w.open("tds:GetScopesResponse")
	for _, s := range c.svc.s.cameraScopes(c.cam) {
		w.open("tds:Scopes")
		w.leaf("tt:ScopeDef", "Fixed")
		w.leaf("tt:ScopeItem", s)
		w.close("tds:Scopes")
	}
	w.close("tds:GetScopesResponse")
	return nil
}

// cameraScopes are the ONVIF scopes of camera c: type, name, hardware, location.
func (s *Server) cameraScopes(c *camera) []string {
	const p = "onvif://www.onvif.org/"
	scopes := []string{p + "type/video_encoder", p + "Profile/Streaming"}
	if c.ptz != nil {
		scopes = append(scopes, p+"type/ptz")
	}
	return append(scopes, p+"name/"+c.name, p+"hardware/"+c.model(),
		p+"location/"+scopeEscape(s.ONVIFLocation))
}

// scopeEscape keeps a scope a single URI path segment.
func scopeEscape(v string) string {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.' {
			out = append(out, ch)
		} else {
			out = append(out, '%', "0123456789ABCDEF"[ch>>4], "0123456789ABCDEF"[ch&15])
		}
	}
	return string(out)
}
