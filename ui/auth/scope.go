package auth

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Scope limits a person to some cameras: by site, by ward, or by id. A
// camera is in scope if any list names it; an empty Scope is every camera.
type Scope struct {
	Sites   []string `json:"sites,omitempty"`
	Wards   []string `json:"wards,omitempty"`
	Cameras []string `json:"cameras,omitempty"`
}

// All reports whether the scope is every camera.
func (s Scope) All() bool { return len(s.Sites)+len(s.Wards)+len(s.Cameras) == 0 }

// Allows reports whether a camera (its id, site and ward) is in scope.
func (s Scope) Allows(id, site, ward string) bool {
	return s.All() || slices.Contains(s.Cameras, id) ||
		site != "" && slices.Contains(s.Sites, site) || ward != "" && slices.Contains(s.Wards, ward)
}

// Text is the scope as the store keeps it: "" for every camera.
func (s Scope) Text() string {
	if s.All() {
		return ""
	}
	b, _ := json.Marshal(s) // cannot fail: strings only
	return string(b)
}

// ParseScope reads a stored scope.
func ParseScope(text string) (Scope, error) {
	var s Scope
	if text == "" {
		return s, nil
	}
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return Scope{}, fmt.Errorf("scope: %w", err)
	}
	return s, nil
}
