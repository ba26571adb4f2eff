//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package auth

import "os"

// tryLockFile does not lock where neither flock(2) nor LockFileEx exists:
// see FileStore.
func tryLockFile(*os.File) (bool, error) { return true, nil }

func unlockFile(*os.File) {}
