package main

import (
	"testing"

	"github.com/jsmbot/jsmbot/internal/testmain"
)

func TestMain(m *testing.M) { testmain.Run(m) }
