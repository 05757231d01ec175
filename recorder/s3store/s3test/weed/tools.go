//go:build tools

// Package weed pins the SeaweedFS release whose weed server the tests
// start as their S3-compatible object store (Apache-2.0, from the Go
// module proxy): `make s3server` builds it into bin/weed.
package weed

import _ "github.com/seaweedfs/seaweedfs/weed"
