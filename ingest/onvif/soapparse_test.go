package onvif

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

// infoXML is GetDeviceInformationResponse as encoding/xml sees it.
type infoXML struct {
	Manufacturer, Model, FirmwareVersion, SerialNumber, HardwareId string
}

var (
	wantDeviceInfo = xml.Name{Space: nsDevice, Local: "GetDeviceInformationResponse"}
	styles         = []string{"hik", "dahua", "axis"}
)

func TestParseDeviceInformationStyles(t *testing.T) {
	want := map[string]infoXML{
		"hik":   {"HIKVISION", "DS-2DE4A425IW-DE", "V5.6.15 build 200731", "DS-2DE4A425IW-DE20200815CCWRE12345678W", "88"},
		"dahua": {"General", "IPC-HFW2431S-S-S2", "2.800.0000000.24.R, Build Date 2021-03-04", "6J0A5D3PAG12345", "1.00"},
		"axis":  {"AXIS", "Q6135-LE", "10.12.114", "ACCC8EF0A1B2", "74F"},
	}
	for _, style := range styles {
		t.Run(style, func(t *testing.T) {
			var got infoXML
			if err := parseResponse(readFixture(t, style+"/GetDeviceInformation.xml"), wantDeviceInfo, &got); err != nil {
				t.Fatal(err)
			}
			if got != want[style] {
				t.Fatalf("got %+v, want %+v", got, want[style])
			}
		})
	}
}

func TestParseLatin1(t *testing.T) {
	var got infoXML
	if err := parseResponse(readFixture(t, "latin1_device_info.xml"), wantDeviceInfo, &got); err != nil {
		t.Fatal(err)
	}
	if got.Manufacturer != "Caméra Süd" {
		t.Fatalf("Manufacturer %q", got.Manufacturer)
	}
}

func TestParseFaults(t *testing.T) {
	cases := []struct {
		code, sub, sub2, reason string
		is                      string
	}{
		{"Sender", "NotAuthorized", "", "Sender not Authorized", NotAuthorized},
		{"Receiver", "ActionNotSupported", "", "Optional Action Not Implemented", ActionNotSupported},
		{"Sender", "InvalidArgVal", "NoProfile", "the requested profile token does not exist", InvalidArgVal},
	}
	for _, style := range styles {
		for _, c := range cases {
			t.Run(style+"/"+c.sub, func(t *testing.T) {
				data := renderFixture(t, style+"/fault.xml", fixtureData{Code: c.code, Subcode: c.sub, Subcode2: c.sub2, Reason: c.reason})
				err := parseResponse(data, wantDeviceInfo, &infoXML{})
				var f *Fault
				if !errors.As(err, &f) {
					t.Fatalf("err %v, want a *Fault", err)
				}
				if f.Code != (xml.Name{Space: nsSOAP, Local: c.code}) {
					t.Errorf("Code %v", f.Code)
				}
				if f.Subcode() != (xml.Name{Space: nsError, Local: c.sub}) {
					t.Errorf("Subcode %v", f.Subcode())
				}
				if c.sub2 != "" && (len(f.Subcodes) != 2 || f.Subcodes[1] != (xml.Name{Space: nsError, Local: c.sub2})) {
					t.Errorf("Subcodes %v", f.Subcodes)
				}
				if f.Reason != c.reason {
					t.Errorf("Reason %q, want %q (English)", f.Reason, c.reason)
				}
				if !IsFault(err, c.is) || IsFault(err, "SomethingElse") {
					t.Errorf("IsFault wrong for %v", err)
				}
				if !strings.Contains(err.Error(), c.sub) {
					t.Errorf("message %q lacks the subcode", err)
				}
			})
		}
	}
}

func TestParseRejects(t *testing.T) {
	deep := `<env:Envelope xmlns:env="` + nsSOAP + `"><env:Body>` + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + `</env:Body></env:Envelope>`
	cases := []struct {
		name string
		data []byte
		msg  string
	}{
		{"billion laughs", readFixture(t, "bad/billion_laughs.xml"), "DOCTYPE"},
		{"external entity", readFixture(t, "bad/external_entity.xml"), "DOCTYPE"},
		{"undeclared entity", readFixture(t, "bad/undeclared_entity.xml"), "entity"},
		{"html error page", readFixture(t, "bad/html_500.html"), "HTML page"},
		{"html without doctype", readFixture(t, "bad/html_login.html"), "HTML page"},
		{"soap 1.1", readFixture(t, "bad/soap11.xml"), "SOAP 1.1"},
		{"wrong envelope namespace", readFixture(t, "bad/wrong_envelope_ns.xml"), "Envelope in namespace"},
		{"response in another service's namespace", readFixture(t, "bad/wrong_body_ns.xml"), "body holds {" + nsMedia + "}"},
		{"response without namespace", readFixture(t, "bad/prefix_only.xml"), "body holds GetDeviceInformationResponse"},
		{"not SOAP", readFixture(t, "bad/isapi.xml"), "not a SOAP Envelope"},
		{"empty body", readFixture(t, "bad/empty_body.xml"), "empty SOAP Body"},
		{"truncated", readFixture(t, "bad/truncated.xml"), "malformed"},
		{"plain text", []byte("401 Unauthorized\n"), "text outside the root"},
		{"nothing", nil, "no XML element"},
		{"two roots", []byte(`<a/><b/>`), "more than one root"},
		{"deep nesting", []byte(deep), "deeper than 64"},
		{"no body", []byte(`<env:Envelope xmlns:env="` + nsSOAP + `"><env:Header/></env:Envelope>`), "no Body"},
		{"unsupported charset", []byte(`<?xml version="1.0" encoding="EBCDIC"?><a/>`), "EBCDIC"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := parseResponse(c.data, wantDeviceInfo, &infoXML{})
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err %q, want it to say %q", err, c.msg)
			}
		})
	}
}

func TestParseNestingAtLimit(t *testing.T) {
	// Envelope, Body and the response are 3 levels; fill to exactly maxDepth.
	n := maxDepth - 3
	data := `<env:Envelope xmlns:env="` + nsSOAP + `"><env:Body><r xmlns="` + nsDevice + `">` +
		strings.Repeat("<a>", n) + strings.Repeat("</a>", n) + `</r></env:Body></env:Envelope>`
	if err := parseResponse([]byte(data), xml.Name{Space: nsDevice, Local: "r"}, nil); err != nil {
		t.Fatal(err)
	}
}
