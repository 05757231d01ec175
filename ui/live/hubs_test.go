package live

import (
	"os"

	"github.com/vigil-cctv/vigil/ingest"
)

// hubMap is a fixed set of bare hubs, for synthetic streams.
type hubMap map[string]*ingest.Hub

func (m hubMap) Hub(camera, stream string) *ingest.Hub { return m[camera+"/"+stream] }

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
