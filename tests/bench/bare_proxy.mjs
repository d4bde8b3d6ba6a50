// The floor of any Node proxy: one upstream GET (redirects followed by hand), piped into the response.
import http from 'node:http';
const upstream = process.argv[2];
function get(url, res) {
  http.get(url, (up) => {
    if (up.statusCode >= 300 && up.statusCode < 400) { up.resume(); return get(new URL(up.headers.location, url).href, res); }
    res.writeHead(up.statusCode, { 'content-length': up.headers['content-length'] });
    up.pipe(res);
  });
}
const server = http.createServer((req, res) => get(upstream + req.url, res));
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
