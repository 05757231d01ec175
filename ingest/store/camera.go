package store

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Camera kinds.
const (
	KindFixed  = "fixed"
	KindMobile = "mobile"
)

// Who manages a camera record: the config file (read-only through the API),
// the API, or the demo site.
const (
	ManagedByConfig = "config"
	ManagedByAPI    = "api"
	ManagedByDemo   = "demo"
)

// DefaultRetentionDays is the Surveillance Camera Code default used here.
const DefaultRetentionDays = 31

// Camera is a camera in the registry. Password is never logged and never
// returned by the API.
type Camera struct {
	ID            string
	Name          string
	Site          string
	Ward          string
	Latitude      *float64
	Longitude     *float64
	Kind          string
	MainURL       string
	SubURL        string
	Username      string
	Password      string
	RetentionDays int
	Enabled       bool
	ManagedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// ONVIFURL is the camera's ONVIF device service (http://HOST/onvif/
	// device_service), reached with Username/Password: its health and
	// clock are watched, and PTZProfile, when set, is the media profile
	// whose PTZ configuration steers it.
	ONVIFURL   string
	PTZProfile string
}

// String names the camera without its credentials.
func (c Camera) String() string {
	return fmt.Sprintf("camera %s (%s)", c.ID, c.Name)
}

// FieldError names the field that is wrong.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// FieldErrors is every problem found in a record.
type FieldErrors []*FieldError

func (es FieldErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Prefix returns the errors with their field names under prefix, e.g.
// "cameras[2]" gives "cameras[2].main_url".
func (es FieldErrors) Prefix(prefix string) FieldErrors {
	out := make(FieldErrors, len(es))
	for i, e := range es {
		out[i] = &FieldError{Field: prefix + "." + e.Field, Msg: e.Msg}
	}
	return out
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidID says whether id is a valid camera (or node) id: a-z 0-9 - _,
// starting with a letter or digit, up to 64.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Normalize fills defaults and moves credentials out of the stream URLs into
// Username/Password, so that URLs can be shown and logged safely.
func (c *Camera) Normalize() {
	c.ID = strings.TrimSpace(c.ID)
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" {
		c.Name = c.ID
	}
	if c.Kind == "" {
		c.Kind = KindFixed
	}
	if c.RetentionDays == 0 {
		c.RetentionDays = DefaultRetentionDays
	}
	for _, raw := range []*string{&c.MainURL, &c.SubURL} {
		u, err := url.Parse(*raw)
		if err != nil || u.User == nil {
			continue
		}
		// Credentials written into a URL are explicit: they win.
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		u.User = nil
		*raw = u.String()
	}
}

// Validate checks the record and names every bad field.
func (c *Camera) Validate() error {
	var es FieldErrors
	bad := func(field, format string, args ...any) {
		es = append(es, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(c.ID) {
		bad("id", "%q must be 1-64 characters of a-z, 0-9, '-' or '_', starting with a letter or digit", c.ID)
	}
	if len(c.Name) > 200 {
		bad("name", "longer than 200 characters")
	}
	if c.Kind != KindFixed && c.Kind != KindMobile {
		bad("kind", "%q must be %q or %q", c.Kind, KindFixed, KindMobile)
	}
	if err := checkStreamURL(c.MainURL, true); err != nil {
		bad("main_url", "%v", err)
	}
	if err := checkStreamURL(c.SubURL, false); err != nil {
		bad("sub_url", "%v", err)
	}
	if c.RetentionDays < 1 || c.RetentionDays > 3650 {
		bad("retention_days", "%d must be between 1 and 3650", c.RetentionDays)
	}
	if (c.Latitude == nil) != (c.Longitude == nil) {
		bad("latitude", "latitude and longitude must be given together")
	}
	if c.Latitude != nil && (*c.Latitude < -90 || *c.Latitude > 90) {
		bad("latitude", "%v is outside -90..90", *c.Latitude)
	}
	if c.Longitude != nil && (*c.Longitude < -180 || *c.Longitude > 180) {
		bad("longitude", "%v is outside -180..180", *c.Longitude)
	}
	if c.Password != "" && c.Username == "" {
		bad("username", "a password is set without a username")
	}
	if c.ONVIFURL != "" {
		if u, err := url.Parse(c.ONVIFURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			bad("onvif_url", "%q must be the camera's ONVIF device service, http(s)://HOST[:PORT]/PATH, without credentials", c.ONVIFURL)
		}
	}
	if c.PTZProfile != "" && c.ONVIFURL == "" {
		bad("ptz_profile", "a PTZ profile needs the camera's onvif_url")
	}
	if len(c.PTZProfile) > 64 {
		bad("ptz_profile", "longer than 64 characters")
	}
	if len(es) == 0 {
		return nil
	}
	return es
}

func checkStreamURL(raw string, required bool) error {
	if raw == "" {
		if required {
			return errors.New("is required")
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("is not a URL: %v", err)
	}
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		return fmt.Errorf("scheme %q must be rtsp or rtsps", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("has no host")
	}
	return nil
}
