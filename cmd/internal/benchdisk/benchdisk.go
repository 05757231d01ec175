// Package benchdisk checks where a benchmark writes: the benchmarks are
// about a real disk, so a memory-backed filesystem is refused.
package benchdisk

import (
	"fmt"
	"syscall"
)

// fsNames are filesystem magic numbers (statfs f_type) worth naming.
var fsNames = map[int64]string{
	0xEF53: "ext4", 0x58465342: "xfs", 0x9123683E: "btrfs", 0x794C7630: "overlayfs",
	0x01021994: "tmpfs", 0x858458F6: "ramfs", 0x6969: "nfs", 0x65735546: "fuse",
}

// Check names dir's filesystem and its free space, refuses memory-backed
// ones, and checks there is room for need bytes (0: no check).
func Check(dir string, need int64) (string, error) {
	var s syscall.Statfs_t
	if err := syscall.Statfs(dir, &s); err != nil {
		return "", err
	}
	t := int64(s.Type) //nolint:unconvert // int32 on some platforms
	name, ok := fsNames[t]
	if !ok {
		name = fmt.Sprintf("fs 0x%x", t)
	}
	if name == "tmpfs" || name == "ramfs" {
		return name, fmt.Errorf("%s is on %s (memory): pick a directory on a disk", dir, name)
	}
	free := int64(s.Bavail) * int64(s.Bsize)
	if free < need {
		return name, fmt.Errorf("%s has %.1f GiB free, the run needs about %.1f GiB", dir, gib(free), gib(need))
	}
	return fmt.Sprintf("%s, %.0f GiB free", name, gib(free)), nil
}

func gib(n int64) float64 { return float64(n) / (1 << 30) }
