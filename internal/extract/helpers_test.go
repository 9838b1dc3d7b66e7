package extract

import (
	"encoding/base64"
	"io"
)

type (
	ioWriter      = io.Writer
	ioWriteCloser = io.WriteCloser
)

func encodeBase64(dst, src []byte) { base64.StdEncoding.Encode(dst, src) }
