package onvif

// Namespace URIs from the shared wire contract. We parse by URI, never by
// prefix; the prefixes are only what we emit.
const (
	nsSOAP    = "http://www.w3.org/2003/05/soap-envelope"
	nsSOAP11  = "http://schemas.xmlsoap.org/soap/envelope/"
	nsDevice  = "http://www.onvif.org/ver10/device/wsdl"
	nsMedia   = "http://www.onvif.org/ver10/media/wsdl"
	nsPTZ     = "http://www.onvif.org/ver20/ptz/wsdl"
	nsSchema  = "http://www.onvif.org/ver10/schema"
	nsError   = "http://www.onvif.org/ver10/error"
	nsWSSE    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU     = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	nsDisc    = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
	nsWSA     = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSA2005 = "http://www.w3.org/2005/08/addressing"
	nsNetwork = "http://www.onvif.org/ver10/network/wsdl"
)

// envelopeNS declares every prefix any request of ours uses, on the root,
// so request bodies can be plain fragments.
const envelopeNS = ` xmlns:s="` + nsSOAP + `"` +
	` xmlns:tds="` + nsDevice + `"` +
	` xmlns:trt="` + nsMedia + `"` +
	` xmlns:tptz="` + nsPTZ + `"` +
	` xmlns:tt="` + nsSchema + `"`
