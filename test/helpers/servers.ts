/**
 * A minimal nginx configuration that keeps everything in `dir`: the error
 * log at notice level (worker starts and exits), a pid file, temp paths, and
 * one server on 127.0.0.1:port. Two workers, running as root like a
 * container's nginx does.
 */
export function nginxConf(dir: string, port: number): string {
  return `daemon off;
master_process on;
worker_processes 2;
user root;
error_log ${dir}/error.log notice;
pid ${dir}/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; root ${dir}/html; }
}
`;
}
