package crm

import (
	"time"
	_ "time/tzdata" // the zone must not depend on the machine's tz database
)

// Zone is the business time zone: dates typed into forms are read in it and
// times are shown in it, whatever the server's own zone.
var Zone = func() *time.Location {
	z, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return z
}()
