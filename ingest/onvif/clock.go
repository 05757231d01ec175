package onvif

import (
	"context"
	"fmt"
	"time"
)

// DeviceTime is the camera's clock as GetSystemDateAndTime reported it.
type DeviceTime struct {
	// UTC is the camera's time (one-second resolution).
	UTC time.Time
	// Offset is UTC minus our clock at the midpoint of the request; it is
	// good to about a second plus half the round trip.
	Offset time.Duration
	// RoundTrip is how long the request took.
	RoundTrip time.Duration
	// NTP is whether the camera says it sets its clock by NTP.
	NTP bool
}

type dateTimeXML struct {
	DateTimeType string `xml:"SystemDateAndTime>DateTimeType"`
	UTC          *struct {
		Year   int `xml:"Date>Year"`
		Month  int `xml:"Date>Month"`
		Day    int `xml:"Date>Day"`
		Hour   int `xml:"Time>Hour"`
		Minute int `xml:"Time>Minute"`
		Second int `xml:"Time>Second"`
	} `xml:"SystemDateAndTime>UTCDateTime"`
}

// GetSystemDateAndTime reads the camera's clock (no credentials needed) and
// remembers the offset for WS-Security timestamps.
func (c *Client) GetSystemDateAndTime(ctx context.Context) (DeviceTime, error) {
	req := request{op: "GetSystemDateAndTime", ns: nsDevice, body: el("tds:GetSystemDateAndTime", ""), public: true}
	var x dateTimeXML
	start := c.now()
	err := c.call(ctx, c.cfg.XAddr, req, &x)
	end := c.now()
	if err != nil {
		return DeviceTime{}, err
	}
	u := x.UTC
	if u == nil {
		return DeviceTime{}, fmt.Errorf("onvif: GetSystemDateAndTime: camera reported no UTCDateTime: %w", ErrMalformed)
	}
	if u.Year < 1970 || u.Year > 9999 || u.Month < 1 || u.Month > 12 || u.Day < 1 || u.Day > 31 ||
		u.Hour < 0 || u.Hour > 23 || u.Minute < 0 || u.Minute > 59 || u.Second < 0 || u.Second > 60 {
		return DeviceTime{}, fmt.Errorf("onvif: GetSystemDateAndTime: impossible date %04d-%02d-%02d %02d:%02d:%02d: %w",
			u.Year, u.Month, u.Day, u.Hour, u.Minute, u.Second, ErrMalformed)
	}
	dev := time.Date(u.Year, time.Month(u.Month), u.Day, u.Hour, u.Minute, u.Second, 0, time.UTC)
	rtt := end.Sub(start)
	mid := start.Add(rtt / 2)
	dt := DeviceTime{UTC: dev, Offset: dev.Sub(mid), RoundTrip: rtt, NTP: x.DateTimeType == "NTP"}

	c.mu.Lock()
	c.offset, c.clockKnown, c.clockTried = dt.Offset, true, true
	c.mu.Unlock()
	if dt.Offset > time.Minute || dt.Offset < -time.Minute {
		c.log.Warn("onvif: camera clock is off", "offset", dt.Offset.Round(time.Second), "ntp", dt.NTP)
	}
	return dt, nil
}

func (c *Client) needClock() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Username != "" && !c.clockTried && (c.auth == AuthUnknown || c.auth == AuthWSSecurity)
}

// syncClock learns the offset once; if the camera will not say, WS-Security
// falls back to our own clock (fine when both run NTP).
func (c *Client) syncClock(ctx context.Context) {
	if _, err := c.GetSystemDateAndTime(ctx); err != nil {
		c.mu.Lock()
		c.clockTried = true
		c.mu.Unlock()
		c.log.Warn("onvif: could not read the camera's clock; WS-Security uses ours", "error", err)
	}
}

// deviceNow is our clock moved by the camera's offset.
func (c *Client) deviceNow() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Add(c.offset).UTC()
}
