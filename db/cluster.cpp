#include "db/cluster.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "base/log.h"
#include "db/pg.h"

namespace gatehouse::db {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kComponent = "db";
constexpr const char* kServerUser = "postgres";
constexpr std::string_view kOwnConfig = "gatehouse.conf";
constexpr std::string_view kIncludeLine = "include_if_exists = 'gatehouse.conf'";

std::string errno_text(int err) { return std::system_category().message(err); }

Error io_error(std::string what, const fs::path& path, int err) {
  return make_error(ErrorKind::kIo, what + " " + path.string() + ": " + errno_text(err));
}

// A closed file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Components of a dotted version ("15", "9.6") for ordering.
std::vector<int> version_parts(std::string_view name) {
  std::vector<int> parts;
  while (!name.empty()) {
    int v = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
    if (ec != std::errc()) return {};
    parts.push_back(v);
    name.remove_prefix(static_cast<std::size_t>(end - name.data()));
    if (name.empty()) break;
    if (name.front() != '.') return {};
    name.remove_prefix(1);
  }
  return parts;
}

bool is_executable(const fs::path& p) { return ::access(p.c_str(), X_OK) == 0; }

// libpq conninfo value: single-quoted, backslash and quote escaped.
std::string conninfo_value(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

// postgresql.conf string literal: single-quoted, quote doubled.
std::string conf_value(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

// The last few lines of the server log, so a failed start explains itself
// without the operator having to know where the log is.
std::string log_tail(const fs::path& log, std::size_t max_lines = 6) {
  std::ifstream in(log, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - 4096);
  in.seekg(from);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  std::istringstream ss(text);
  for (std::string line; std::getline(ss, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  if (from > 0 && !lines.empty()) lines.erase(lines.begin());  // likely cut mid-line
  std::string out;
  const std::size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  for (std::size_t i = first; i < lines.size(); ++i) {
    if (!out.empty()) out += " | ";
    out += lines[i];
  }
  return out;
}

// Puts the child in the identity it must run as and detaches it from
// everything of ours it could keep alive: other descriptors (a listening
// socket inherited by the postmaster would outlive us), blocked or ignored
// signals. Only async-signal-safe calls: the parent may have other threads.
void child_setup(const EmbeddedCluster::RunAs& who, int max_fd) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaction(sig, &dfl, nullptr);
  if (who.drop) {
    if (::setgroups(who.groups.size(), who.groups.data()) != 0) _exit(126);
    if (::setgid(who.gid) != 0) _exit(126);
    if (::setuid(who.uid) != 0) _exit(126);
  }
  if (::close_range(3U, ~0U, 0) == 0) return;
  for (int fd = 3; fd < max_fd; ++fd) ::close(fd);
}

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// Runs a server tool by argv (never a shell), stdin from /dev/null, stdout
// and stderr appended to log_fd. Returns its exit code.
Result<int> run_tool(const EmbeddedCluster::RunAs& who, const std::vector<std::string>& argv,
                     int log_fd) {
  // Everything the child needs is built before fork.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A fixed environment: inherited PGDATA/PGPORT/LANG must not change what
  // initdb and pg_ctl do; TZ=UTC makes initdb write UTC as the default zone.
  const char* env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "TZ=UTC", nullptr};
  const long open_max = ::sysconf(_SC_OPEN_MAX);
  const int max_fd = open_max > 0 && open_max < 65536 ? static_cast<int>(open_max) : 65536;

  const pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorKind::kInternal, "fork: " + errno_text(errno));
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (::chdir("/") != 0) _exit(126);
    child_setup(who, max_fd);
    ::execve(args[0], args.data(), const_cast<char* const*>(env));
    _exit(127);
  }
  const int code = wait_child(pid);
  if (code < 0) return make_error(ErrorKind::kInternal, "waitpid: " + errno_text(errno));
  if (code == 126) {
    return make_error(ErrorKind::kInternal,
                      "could not switch to user " + who.name + " to run " + argv[0]);
  }
  if (code == 127) return make_error(ErrorKind::kNotFound, "could not execute " + argv[0]);
  return code;
}

// Whether `who` can search `dir` and every directory above it.
bool can_reach(const EmbeddedCluster::RunAs& who, const fs::path& dir) {
  const std::string path = dir.string();
  const long open_max = ::sysconf(_SC_OPEN_MAX);
  const int max_fd = open_max > 0 && open_max < 65536 ? static_cast<int>(open_max) : 65536;
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    child_setup(who, max_fd);
    _exit(::access(path.c_str(), X_OK) == 0 ? 0 : 1);
  }
  return wait_child(pid) == 0;
}

Result<EmbeddedCluster::RunAs> user_by_uid_or_name(const char* name, uid_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  const int rc = name != nullptr ? ::getpwnam_r(name, &pw, buf.data(), buf.size(), &found)
                                 : ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) {
    return make_error(ErrorKind::kNotFound,
                      name != nullptr ? std::string("system user '") + name + "' does not exist"
                                      : "no system user has uid " + std::to_string(uid));
  }
  EmbeddedCluster::RunAs who;
  who.drop = true;
  who.uid = pw.pw_uid;
  who.gid = pw.pw_gid;
  who.name = pw.pw_name;
  int n = 64;
  who.groups.resize(static_cast<std::size_t>(n));
  if (::getgrouplist(pw.pw_name, pw.pw_gid, who.groups.data(), &n) < 0) {
    who.groups.resize(static_cast<std::size_t>(n));
    ::getgrouplist(pw.pw_name, pw.pw_gid, who.groups.data(), &n);
  }
  who.groups.resize(static_cast<std::size_t>(std::max(n, 0)));
  return who;
}

// Decides who runs the server. Not root: ourselves. Root: initdb and the
// postmaster refuse root, so the owner of an existing cluster (whoever made
// it keeps it) or, for a new one, the postgres system user.
Result<EmbeddedCluster::RunAs> choose_user(const fs::path& data_dir, bool exists) {
  const uid_t me = ::geteuid();
  struct stat st {};
  const bool have_stat = exists && ::stat(data_dir.c_str(), &st) == 0;
  if (me != 0) {
    if (have_stat && st.st_uid != me) {
      return make_error(ErrorKind::kInvalidInput,
                        "the cluster in " + data_dir.string() + " belongs to uid " +
                            std::to_string(st.st_uid) +
                            "; run gatehouse as that user, or as root");
    }
    EmbeddedCluster::RunAs self;
    self.uid = me;
    self.gid = ::getegid();
    self.name = "uid " + std::to_string(me);
    return self;
  }
  if (have_stat) {
    if (st.st_uid == 0) {
      return make_error(ErrorKind::kInvalidInput,
                        "the cluster in " + data_dir.string() +
                            " is owned by root, which PostgreSQL refuses to run as; chown -R it "
                            "to the postgres user");
    }
    return user_by_uid_or_name(nullptr, st.st_uid);
  }
  Result<EmbeddedCluster::RunAs> pg = user_by_uid_or_name(kServerUser, 0);
  if (!pg.ok()) {
    return make_error(ErrorKind::kNotFound,
                      "running as root needs the 'postgres' system user to own the embedded "
                      "cluster, and it does not exist: run scripts/install-deps.sh");
  }
  return pg;
}

Status make_dir(const fs::path& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return io_error("mkdir", dir, errno);
  return Status();
}

Status give_to(const EmbeddedCluster::RunAs& who, const fs::path& path, mode_t mode) {
  if (who.drop && ::chown(path.c_str(), who.uid, who.gid) != 0) return io_error("chown", path, errno);
  if (::chmod(path.c_str(), mode) != 0) return io_error("chmod", path, errno);
  return Status();
}

// Our settings live in their own file, rewritten before every start so a
// moved var dir gets the right socket path; postgresql.conf only includes it.
Status write_config(const EmbeddedCluster::RunAs& who, const fs::path& data_dir,
                    const fs::path& socket_dir) {
  const fs::path main_conf = data_dir / "postgresql.conf";
  {
    std::ifstream in(main_conf);
    if (!in) return io_error("open", main_conf, errno);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find(kIncludeLine) == std::string::npos) {
      std::ofstream out(main_conf, std::ios::app);
      out << "\n# Gatehouse settings (rewritten on every start):\n" << kIncludeLine << "\n";
      if (!out) return io_error("append to", main_conf, errno);
    }
  }
  const fs::path conf = data_dir / kOwnConfig;
  const fs::path tmp = data_dir / (std::string(kOwnConfig) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# Written by gatehouse before every start of the embedded cluster; edits are lost.\n"
        << "# No TCP at all: the only way in is the Unix socket, reachable by its owner and root.\n"
        << "listen_addresses = ''\n"
        << "port = " << EmbeddedCluster::kPort << "\n"
        << "unix_socket_directories = " << conf_value(socket_dir.string()) << "\n"
        << "unix_socket_permissions = 0700\n"
        << "timezone = 'UTC'\n"
        << "log_timezone = 'UTC'\n";
    out.flush();
    if (!out) return io_error("write", tmp, errno);
  }
  if (Status s = give_to(who, tmp, 0600); !s.ok()) return s;
  if (::rename(tmp.c_str(), conf.c_str()) != 0) return io_error("rename", tmp, errno);
  return Status();
}

// pg_ctl status: 0 running, 3 not running, 4 no usable data directory.
Result<bool> is_running(const EmbeddedCluster::RunAs& who, const fs::path& bindir,
                        const fs::path& data_dir, int log_fd) {
  Result<int> code = run_tool(who, {(bindir / "pg_ctl").string(), "status", "-s", "-D",
                                    data_dir.string()}, log_fd);
  if (!code.ok()) return code.error();
  if (*code == 0) return true;
  if (*code == 3) return false;
  return make_error(ErrorKind::kIo, "pg_ctl status failed for " + data_dir.string() +
                                        " (exit " + std::to_string(*code) + ")");
}

// The postmaster pid from postmaster.pid if that process is a zombie: dead,
// but its parent (pid 1 after pg_ctl exits) has not reaped it yet, so pg_ctl
// and the new postmaster both still take it for a running server.
std::optional<pid_t> zombie_postmaster(const fs::path& data_dir) {
  std::ifstream pid_file(data_dir / "postmaster.pid");
  long pid = 0;
  if (!(pid_file >> pid) || pid <= 0) return std::nullopt;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return std::nullopt;
  const std::size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z') {
    return std::nullopt;
  }
  return static_cast<pid_t>(pid);
}

Status create_database(const std::string& admin_conninfo, const std::string& database) {
  Result<Connection> conn = Connection::open(admin_conninfo);
  if (!conn.ok()) return conn.error();
  const char* kExists = "SELECT 1 FROM pg_database WHERE datname = $1";
  Result<Rows> found = conn->exec(kExists, {database});
  if (!found.ok()) return found.error();
  if (found->size() > 0) return Status();
  // Identifiers cannot be parameters; the name is quoted, not interpolated raw.
  Result<Rows> made = conn->exec("CREATE DATABASE " + quote_identifier(database));
  if (made.ok()) {
    log(LogLevel::kInfo, kComponent, "database created", {{"database", database}});
    return Status();
  }
  // Another process may have created it between our check and our CREATE.
  Result<Rows> again = conn->exec(kExists, {database});
  if (again.ok() && again->size() > 0) return Status();
  return made.error();
}

}  // namespace

Result<fs::path> find_server_bindir(const fs::path& search_root) {
  if (const char* env = std::getenv("GATEHOUSE_PG_BINDIR"); env != nullptr && *env != '\0') {
    const fs::path dir(env);
    if (!is_executable(dir / "initdb") || !is_executable(dir / "pg_ctl")) {
      return make_error(ErrorKind::kNotFound, "GATEHOUSE_PG_BINDIR=" + dir.string() +
                                                  " has no initdb and pg_ctl");
    }
    return dir;
  }
  fs::path best;
  std::vector<int> best_version;
  std::error_code ec;
  for (fs::directory_iterator it(search_root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::vector<int> v = version_parts(it->path().filename().string());
    const fs::path bin = it->path() / "bin";
    if (v.empty() || !is_executable(bin / "initdb") || !is_executable(bin / "pg_ctl")) continue;
    if (best.empty() || v > best_version) {
      best = bin;
      best_version = v;
    }
  }
  if (best.empty()) {
    return make_error(ErrorKind::kNotFound,
                      "PostgreSQL server not installed: run scripts/install-deps.sh (looked for " +
                          (search_root / "*/bin/initdb").string() +
                          "; GATEHOUSE_PG_BINDIR overrides)");
  }
  return best;
}

Result<EmbeddedCluster> EmbeddedCluster::ensure_started(const ClusterOptions& options) {
  if (options.var_dir.empty()) return make_error(ErrorKind::kInvalidInput, "no var dir given");
  if (options.database.empty() || options.database.find('\0') != std::string::npos) {
    return make_error(ErrorKind::kInvalidInput, "bad database name");
  }
  EmbeddedCluster c;
  c.database_ = options.database;
  if (options.bindir.empty()) {
    Result<fs::path> bin = find_server_bindir();
    if (!bin.ok()) return bin.error();
    c.bindir_ = *bin;
  } else {
    c.bindir_ = options.bindir;
  }

  std::error_code ec;
  c.var_dir_ = fs::absolute(options.var_dir, ec).lexically_normal();
  if (ec) return io_error("resolve", options.var_dir, ec.value());
  if (c.var_dir_.filename().empty()) c.var_dir_ = c.var_dir_.parent_path();  // trailing '/'
  c.data_dir_ = c.var_dir_ / "pg";
  c.socket_dir_ = c.var_dir_ / "run";
  c.log_file_ = c.var_dir_ / "pg.log";
  for (const fs::path& p : {c.data_dir_, c.socket_dir_}) {
    if (p.string().find_first_of("\n\r") != std::string::npos) {
      return make_error(ErrorKind::kInvalidInput, "var dir path contains a line break");
    }
  }
  // The kernel limits a socket path to sizeof(sun_path) - 1 bytes.
  const std::string socket_file =
      (c.socket_dir_ / (".s.PGSQL." + std::to_string(kPort))).string();
  if (socket_file.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return make_error(ErrorKind::kInvalidInput,
                      "socket path " + socket_file + " is too long for a Unix socket (" +
                          std::to_string(socket_file.size()) + " bytes); set GATEHOUSE_VAR to a "
                          "shorter directory");
  }

  // Only ours: the server user needs to traverse it, never to list it.
  if (!fs::exists(c.var_dir_, ec)) {
    fs::create_directories(c.var_dir_, ec);
    if (ec) return io_error("create", c.var_dir_, ec.value());
    if (::chmod(c.var_dir_.c_str(), 0711) != 0) return io_error("chmod", c.var_dir_, errno);
  }

  const fs::path lock_path = c.var_dir_ / "pg-cluster.lock";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock.get() < 0) return io_error("open", lock_path, errno);
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return io_error("lock", lock_path, errno);
  }

  const bool exists = fs::exists(c.data_dir_ / "PG_VERSION", ec);
  Result<RunAs> who = choose_user(c.data_dir_, exists);
  if (!who.ok()) return who.error();
  c.run_as_ = *who;

  if (c.run_as_.drop && !can_reach(c.run_as_, c.var_dir_)) {
    return make_error(ErrorKind::kInvalidInput,
                      "the '" + c.run_as_.name + "' system user, which runs the embedded "
                      "PostgreSQL when gatehouse runs as root, cannot reach " +
                          c.var_dir_.string() +
                          " (a parent directory is not searchable by it, e.g. a checkout under "
                          "/root with mode 0700); set GATEHOUSE_VAR to a directory it can reach, "
                          "such as /var/lib/gatehouse, or give it search permission (chmod o+x) "
                          "on every parent directory");
  }

  if (Status s = make_dir(c.data_dir_, 0700); !s.ok()) return s.error();
  if (Status s = give_to(c.run_as_, c.data_dir_, 0700); !s.ok()) return s.error();
  if (Status s = make_dir(c.socket_dir_, 0700); !s.ok()) return s.error();
  if (Status s = give_to(c.run_as_, c.socket_dir_, 0700); !s.ok()) return s.error();
  Fd log_fd(::open(c.log_file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (log_fd.get() < 0) return io_error("open", c.log_file_, errno);
  if (c.run_as_.drop && ::fchown(log_fd.get(), c.run_as_.uid, c.run_as_.gid) != 0) {
    return io_error("chown", c.log_file_, errno);
  }

  if (!exists) {
    log(LogLevel::kInfo, kComponent, "creating embedded cluster",
        {{"dir", c.data_dir_.string()}, {"user", c.run_as_.name}});
    Result<int> code =
        run_tool(c.run_as_,
                 {(c.bindir_ / "initdb").string(), "-D", c.data_dir_.string(), "-U",
                  std::string(kRole), "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-instructions"},
                 log_fd.get());
    if (!code.ok()) return code.error();
    if (*code != 0) {
      return make_error(ErrorKind::kIo, "initdb failed for " + c.data_dir_.string() + " (exit " +
                                            std::to_string(*code) + "), see " +
                                            c.log_file_.string() + ": " + log_tail(c.log_file_));
    }
  }

  Result<bool> running = is_running(c.run_as_, c.bindir_, c.data_dir_, log_fd.get());
  if (!running.ok()) return running.error();
  if (*running) {
    if (std::optional<pid_t> zombie = zombie_postmaster(c.data_dir_)) {
      return make_error(ErrorKind::kUnavailable,
                        "the embedded PostgreSQL (pid " + std::to_string(*zombie) +
                            ") has died but has not been reaped by its parent process yet; retry "
                            "shortly (in a container, run it with an init process, e.g. "
                            "docker run --init)");
    }
    log(LogLevel::kInfo, kComponent, "reusing running embedded cluster",
        {{"dir", c.data_dir_.string()}});
  } else {
    if (Status s = write_config(c.run_as_, c.data_dir_, c.socket_dir_); !s.ok()) return s.error();
    // -w -t 60: pg_ctl returns once the server accepts connections, or fails;
    // it also clears a postmaster.pid left behind by a crash.
    Result<int> code = run_tool(c.run_as_,
                                {(c.bindir_ / "pg_ctl").string(), "start", "-s", "-w", "-t", "60",
                                 "-D", c.data_dir_.string(), "-l", c.log_file_.string()},
                                log_fd.get());
    if (!code.ok()) return code.error();
    if (*code != 0) {
      return make_error(ErrorKind::kUnavailable,
                        "the embedded PostgreSQL did not start (pg_ctl exit " +
                            std::to_string(*code) + "), see " + c.log_file_.string() + ": " +
                            log_tail(c.log_file_));
    }
    c.started_by_us_ = true;
    log(LogLevel::kInfo, kComponent, "embedded cluster started",
        {{"dir", c.data_dir_.string()}, {"socket", c.socket_dir_.string()}});
  }

  if (Status s = create_database(c.conninfo_for("postgres"), c.database_); !s.ok()) {
    return s.error();
  }
  return c;
}

std::string EmbeddedCluster::conninfo() const { return conninfo_for(database_); }

std::string EmbeddedCluster::conninfo_for(std::string_view database) const {
  return "host=" + conninfo_value(socket_dir_.string()) + " port=" + std::to_string(kPort) +
         " dbname=" + conninfo_value(database) + " user=" + std::string(kRole);
}

Status EmbeddedCluster::stop(bool force) {
  if (!started_by_us_ && !force) {
    log(LogLevel::kInfo, kComponent, "leaving reused embedded cluster running",
        {{"dir", data_dir_.string()}});
    return Status();
  }
  const fs::path lock_path = var_dir_ / "pg-cluster.lock";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock.get() < 0) return io_error("open", lock_path, errno);
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return io_error("lock", lock_path, errno);
  }
  Fd log_fd(::open(log_file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (log_fd.get() < 0) return io_error("open", log_file_, errno);

  Result<bool> running = is_running(run_as_, bindir_, data_dir_, log_fd.get());
  if (!running.ok()) return running.error();
  started_by_us_ = false;
  if (!*running) return Status();
  // fast: roll back open transactions and disconnect clients; no waiting on
  // idle sessions, and still a clean shutdown (no recovery at next start).
  Result<int> code = run_tool(run_as_,
                              {(bindir_ / "pg_ctl").string(), "stop", "-s", "-m", "fast", "-w",
                               "-t", "60", "-D", data_dir_.string()},
                              log_fd.get());
  if (!code.ok()) return code.error();
  if (*code != 0) {
    return make_error(ErrorKind::kUnavailable, "pg_ctl stop failed (exit " +
                                                   std::to_string(*code) + "), see " +
                                                   log_file_.string() + ": " + log_tail(log_file_));
  }
  log(LogLevel::kInfo, kComponent, "embedded cluster stopped", {{"dir", data_dir_.string()}});
  return Status();
}

}  // namespace gatehouse::db
