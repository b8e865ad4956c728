#include "remote/aws_settings.h"

#include <cstdlib>
#include <fstream>

namespace mimicit::remote {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

std::string home_file(const char* variable, const char* relative) {
  std::string path = env(variable);
  if (!path.empty()) return path;
  const std::string home = env("HOME");
  return home.empty() ? std::string() : home + "/.aws/" + relative;
}

std::string lookup(const std::map<std::string, std::string>* section, const std::string& key) {
  if (!section) return "";
  const auto it = section->find(key);
  return it == section->end() ? std::string() : it->second;
}

}  // namespace

std::map<std::string, std::map<std::string, std::string>> read_aws_ini(const std::string& path) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::ifstream in(path);
  std::string line, section, block;
  while (std::getline(in, line)) {
    const bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      block.clear();
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (!indented) block = value.empty() ? key : "";
    if (indented && !block.empty()) {
      out[section][block + "." + key] = value;
    } else if (!value.empty()) {
      out[section][key] = value;
    }
  }
  return out;
}

AwsSettings load_aws_settings() {
  AwsSettings s;
  std::string profile = env("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  const auto credentials_file = read_aws_ini(home_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"));
  const auto config_file = read_aws_ini(home_file("AWS_CONFIG_FILE", "config"));
  const auto find = [](const auto& file,
                       const std::string& name) -> const std::map<std::string, std::string>* {
    const auto it = file.find(name);
    return it == file.end() ? nullptr : &it->second;
  };
  const auto* creds = find(credentials_file, profile);
  const auto* config = find(config_file, profile == "default" ? "default" : "profile " + profile);
  const auto setting = [&](const std::string& key) {
    std::string v = lookup(creds, key);
    return v.empty() ? lookup(config, key) : v;
  };

  s.credentials.access_key_id = env("AWS_ACCESS_KEY_ID");
  if (!s.credentials.access_key_id.empty()) {
    s.credentials.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    s.credentials.session_token = env("AWS_SESSION_TOKEN");
  } else {
    s.credentials.access_key_id = setting("aws_access_key_id");
    s.credentials.secret_access_key = setting("aws_secret_access_key");
    s.credentials.session_token = setting("aws_session_token");
  }

  for (std::string v : {env("AWS_REGION"), env("AWS_DEFAULT_REGION"), lookup(config, "region")}) {
    if (!v.empty()) {
      s.region = v;
      break;
    }
  }
  for (std::string v : {env("AWS_ENDPOINT_URL_S3"), env("AWS_ENDPOINT_URL"),
                        lookup(config, "s3.endpoint_url"), lookup(config, "endpoint_url")}) {
    if (!v.empty()) {
      s.endpoint = v;
      break;
    }
  }
  while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
  s.path_style = !s.endpoint.empty();
  if (s.endpoint.empty()) s.endpoint = "https://s3." + s.region + ".amazonaws.com";
  std::string style = env("AWS_S3_ADDRESSING_STYLE");
  if (style.empty()) style = lookup(config, "s3.addressing_style");
  if (style == "path") s.path_style = true;
  if (style == "virtual") s.path_style = false;
  return s;
}

}  // namespace mimicit::remote
