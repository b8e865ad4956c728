#include "server/pages.h"

#include <fmt/format.h>

#include "server/html.h"
#include "server/limits.h"

namespace mimicit::server {

namespace {

using dataset::InstructionFormat;

constexpr InstructionFormat kFormats[] = {InstructionFormat::kSimple, InstructionFormat::kLlama2,
                                          InstructionFormat::kIdefics, InstructionFormat::kFuyu};

std::string layout(std::string_view title, std::string_view page, std::string_view body_attributes,
                   std::string_view body) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>";
  append_html(out, title);
  out +=
      " - mimicit</title><link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">"
      "<link rel=\"stylesheet\" href=\"/static/style.css\">"
      "<script src=\"/static/app.js\" defer></script></head>\n<body data-page=\"";
  append_html(out, page);
  out += '"';
  out += body_attributes;
  out +=
      ">\n<header><nav><a class=\"brand\" href=\"/\">mimicit</a>"
      "<a href=\"/\">Datasets</a><a href=\"/browse\">Browse</a><a href=\"/stats\">Statistics</a>"
      "<a href=\"/validation\">Validation</a>"
      "<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">"
      "<input type=\"search\" name=\"q\" maxlength=\"256\" placeholder=\"Instruction id, image id or text\" "
      "aria-label=\"Search\"><button type=\"submit\">Search</button></form></nav></header>\n<main>";
  out += body;
  out += "</main>\n<footer>mimicit " MIMICIT_VERSION "</footer>\n</body></html>\n";
  return out;
}

void append_link(std::string& out, std::string_view href, std::string_view text, std::string_view cls = {}) {
  out += "<a href=\"";
  append_html(out, href);
  out += '"';
  if (!cls.empty()) {
    out += " class=\"";
    out += cls;
    out += '"';
  }
  out += '>';
  append_html(out, text);
  out += "</a>";
}

std::string sample_href(std::string_view id, dataset::Group group, InstructionFormat format) {
  return fmt::format("/sample/{}?group={}&format={}", url_component(id), dataset::group_name(group),
                     dataset::instruction_format_name(format));
}

void append_error(std::string& out, std::string_view message) {
  out += "<p class=\"error\">";
  append_html(out, message);
  out += "</p>";
}

void append_dataset_row(std::string& out, const dataset::GroupDataset::Dataset& ds) {
  out += "<tr><td>";
  append_html(out, ds.config.name);
  out += fmt::format("</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>",
                     ds.instructions->size(), ds.training_size, ds.config.num_samples);
  append_html(out, ds.config.mimicit_path);
  out += "</td><td>";
  append_html(out, ds.config.train_config_path.empty() ? "-" : ds.config.train_config_path);
  out += "</td><td>";
  for (size_t i = 0; i < ds.config.images_paths.size(); ++i) {
    if (i) out += "<br>";
    append_html(out, ds.config.images_paths[i]);
  }
  out += "</td></tr>";
}

void append_group(std::string& out, const GroupView& group) {
  const std::string name = dataset::group_name(group.group);
  out += "<section class=\"group\" id=\"group-";
  out += name;
  out += "\"><h2>";
  out += name;
  if (group.data) out += fmt::format(" <span class=\"count\">{} samples</span>", group.data->size());
  out += "</h2>";
  if (!group.error.empty()) append_error(out, group.error);
  if (!group.store_error.empty()) append_error(out, group.store_error);
  if (!group.data) {
    out += "</section>";
    return;
  }
  out +=
      "<table class=\"datasets\"><thead><tr><th>Dataset</th><th>Records</th><th>Training samples</th>"
      "<th>num_samples</th><th>Instructions</th><th>Train config</th><th>Images</th></tr></thead><tbody>";
  for (const auto& ds : group.data->datasets()) append_dataset_row(out, ds);
  out += "</tbody></table><p>";
  append_link(out, "/browse?group=" + name, "Browse " + name, "button");
  if (!group.stores.empty())
    out += fmt::format(" <span class=\"muted\">image store: {} images</span>", group.images);
  out += "</p></section>";
}

void append_thumb(std::string& out, std::string_view image_id) {
  const std::string url = url_component(image_id);
  out += "<a class=\"thumb\" href=\"/image/" + url + "\" title=\"";
  append_html(out, image_id);
  out += "\"><img src=\"/thumb/" + url + "\" alt=\"";
  append_html(out, image_id);
  out += "\" loading=\"lazy\"></a>";
}

void append_images(std::string& out, const GroupView& group, const SampleView& view) {
  if (group.group == dataset::Group::kTextOnly) return;
  const auto& ids = view.images;
  out += "<section class=\"images\"><h2>";
  if (group.group == dataset::Group::kVideoText) {
    out += fmt::format("Frames ({} picked from {})", ids.size(), view.record.image_ids.size());
  } else {
    out += fmt::format("Images ({})", ids.size());
  }
  out += "</h2><div class=\"thumbs\">";
  for (size_t i = 0; i < ids.size() && i < kMaxImagesListed; ++i) append_thumb(out, ids[i]);
  out += "</div>";
  if (ids.size() > kMaxImagesListed)
    out += fmt::format("<p class=\"muted\">The first {} are shown.</p>", kMaxImagesListed);
  if (ids.empty()) out += "<p class=\"muted\">No images.</p>";
  out += "</section>";
}

void append_text_block(std::string& out, std::string_view title, std::string_view cls,
                       std::string_view text) {
  out += "<h2>";
  out += title;
  out += "</h2><pre class=\"text ";
  out += cls;
  out += "\">";
  append_html(out, text);
  out += "</pre>";
}

void append_format_links(std::string& out, const SampleView& view, dataset::Group group,
                         InstructionFormat format) {
  out += "<p class=\"formats\">Instruction format: ";
  for (InstructionFormat f : kFormats) {
    append_link(out, sample_href(view.id, group, f), dataset::instruction_format_name(f),
                f == format ? "format current" : "format");
    out += ' ';
  }
  out += "</p>";
}

void append_turns(std::string& out, const GroupView& group, const SampleView& view,
                  InstructionFormat format) {
  const size_t context = view.turns.size() - 1;
  out += fmt::format("<section class=\"turns\"><h2>In-context turns ({})</h2>", context);
  if (context == 0) {
    out += "<p class=\"muted\">None: the prompt is this record's turn alone.</p></section>";
    return;
  }
  out += "<ol class=\"turns\">";
  for (size_t t = 0; t < context; ++t) {
    const Turn& turn = view.turns[t];
    out += "<li>";
    append_link(out, sample_href(turn.id, group.group, format), turn.id, "turn-id");
    if (!turn.found) {
      out += " <span class=\"error\">no record</span>";
    } else {
      out += "<pre class=\"text\">";
      append_html(out, turn.instruction);
      out += "</pre><pre class=\"text answer\">";
      append_html(out, turn.answer);
      out += "</pre>";
    }
    out += "</li>";
  }
  out += "</ol></section>";
}

void append_findings(std::string& out, const SampleFindings& findings) {
  out += "<section class=\"findings\"><h2>Validation findings</h2>";
  if (findings.state == "disabled") {
    out += "<p class=\"muted\">Validation is off (--no-validate).</p>";
  } else if (findings.state == "failed") {
    out += "<p class=\"error\">Validation failed; see <a href=\"/validation\">Validation</a>.</p>";
  } else if (findings.state != "done") {
    out += "<p class=\"muted\">Validation has not finished; see <a href=\"/validation\">Validation</a>.</p>";
  } else if (findings.list.empty()) {
    out += "<p class=\"ok\">None for this record or its images.</p>";
  } else {
    out += "<ul class=\"findings\">";
    for (const SampleFinding& f : findings.list) {
      out += "<li><span class=\"kind\">";
      append_html(out, f.kind);
      out += "</span> ";
      if (f.image_stored) {
        append_link(out, "/image/" + url_component(f.image_id), f.image_id, "image-id");
        out += ' ';
      } else if (!f.image_id.empty()) {
        out += "<span class=\"image-id\">";
        append_html(out, f.image_id);
        out += "</span> ";
      }
      append_html(out, f.detail);
      out += "</li>";
    }
    out += "</ul>";
  }
  out += "</section>";
}

}  // namespace

std::string index_page(const Catalog& catalog) {
  std::string body = "<h1>Datasets</h1><p class=\"muted\">";
  append_html(body, catalog.yaml_path());
  body += "</p>";
  for (const std::string& warning : catalog.config().warnings) append_error(body, warning);
  if (catalog.groups().empty()) body += "<p>The data YAML has no groups.</p>";
  for (const GroupView& group : catalog.groups()) append_group(body, group);
  return layout("Datasets", "index", "", body);
}

std::string sample_page(const Catalog& catalog, const GroupView& group, const SampleView& view,
                        InstructionFormat format, const SampleFindings& findings) {
  const auto& datasets = group.data->datasets();
  std::string body = "<h1 class=\"sample-id\">";
  append_html(body, view.id);
  body += "</h1><p class=\"meta\">Group ";
  append_link(body, std::string("/browse?group=") + dataset::group_name(group.group),
              dataset::group_name(group.group));
  if (view.record_dataset) {
    body += " &middot; dataset ";
    append_html(body, datasets[*view.record_dataset].config.name);
    body += " &middot; ";
    append_html(body, datasets[*view.record_dataset].instructions->path());
  }
  body += view.key_dataset ? " &middot; a training key" : " &middot; not a training key of this group";
  for (const GroupView& other : catalog.groups()) {
    if (&other != &group && other.data && other.data->find_record(view.id)) {
      body += " &middot; also in ";
      append_link(body, sample_href(view.id, other.group, format), dataset::group_name(other.group));
    }
  }
  body += "</p>";
  append_images(body, group, view);
  body += "<section class=\"record\">";
  append_text_block(body, "Instruction", "instruction", view.record.instruction);
  append_text_block(body, "Answer", "answer", view.record.answer);
  body += "</section><section class=\"prompt\"><h2>Prompt</h2>";
  append_format_links(body, view, group.group, format);
  if (view.prompt_error.empty()) {
    body += "<pre class=\"prompt\">";
    append_html(body, view.prompt);
    body += "</pre>";
  } else {
    append_error(body, view.prompt_error);
  }
  body += "</section>";
  append_turns(body, group, view, format);
  append_findings(body, findings);
  if (view.record_dataset) {
    body += "<section class=\"raw\"><h2>Record JSON</h2><pre class=\"text\">";
    const auto& file = *datasets[*view.record_dataset].instructions;
    const std::optional<size_t> index = file.find(view.id);
    if (index) append_html(body, file.raw_json(*index));
    body += "</pre></section>";
  }
  return layout(view.id, "sample", "", body);
}

std::string client_page(std::string_view title, std::string_view page,
                        const std::vector<std::pair<std::string, std::string>>& data,
                        std::string_view intro) {
  std::string attributes;
  for (const auto& [name, value] : data) {
    attributes += " data-" + name + "=\"";
    append_html(attributes, value);
    attributes += '"';
  }
  std::string body = "<h1>";
  append_html(body, title);
  body += "</h1>";
  if (!intro.empty()) {
    body += "<p class=\"intro\">";
    append_html(body, intro);
    body += "</p>";
  }
  body += "<div id=\"app\"><p class=\"muted\">Loading...</p></div>";
  return layout(title, page, attributes, body);
}

std::string error_page(int status, std::string_view message) {
  std::string body = fmt::format("<h1>{}</h1><p class=\"error\">", status);
  append_html(body, message);
  body += "</p><p><a href=\"/\">Back to the datasets</a></p>";
  return layout(fmt::format("Error {}", status), "error", "", body);
}

}  // namespace mimicit::server
