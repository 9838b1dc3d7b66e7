package extract

import (
	"bytes"

	"golang.org/x/net/html"
)

// htmlText renders HTML as plain text: text nodes in order, a line break at
// block elements, scripts and styles dropped, entities decoded.
func htmlText(data []byte) []byte {
	var out bytes.Buffer
	z := html.NewTokenizer(bytes.NewReader(data))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out.Bytes()
		case html.TextToken:
			if skip == 0 {
				out.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if tt == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote":
				out.WriteByte('\n')
			case "td", "th":
				out.WriteByte('\t')
			}
		}
	}
}
