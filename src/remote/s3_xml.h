// The little XML that S3's multipart and listing calls answer with.
//
// S3 answers CreateMultipartUpload, CompleteMultipartUpload, ListObjectsV2
// and its errors with small flat XML documents; these functions read the
// few elements mimicit needs. They are not an XML parser: they find the
// first element of a name anywhere in the document (namespaces and
// attributes on it allowed, comments and CDATA not understood), and decode
// the five predefined entities and numeric character references in its
// text. They read only inside the given view, never allocate beyond the
// text they return, and reject malformed text (an unterminated element, an
// unknown entity, a reference past U+10FFFF) by returning nullopt, never by
// guessing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mimicit::remote {

// The decoded text of the first element named `name` ("UploadId"), or
// nullopt when there is none or it is malformed. `<Name/>` gives "".
std::optional<std::string> xml_element_text(std::string_view document, std::string_view name);

// The raw content (not decoded) of every element named `name`, in order,
// e.g. each <Upload>...</Upload> of a ListMultipartUploads answer, to read
// with xml_element_text(). Stops at the first malformed one.
std::vector<std::string_view> xml_elements(std::string_view document, std::string_view name);

// The name of the document's root element (after an optional `<?xml ...?>`
// declaration and whitespace), e.g. "Error" or
// "CompleteMultipartUploadResult"; "" when the document has none.
std::string xml_root_name(std::string_view document);

// "Code: Message" of an S3 <Error> document, else the body's first 300
// bytes: for error messages.
std::string s3_error_text(std::string_view body);

// `text` with &, <, > and the quotes escaped, for element text and
// attribute values.
std::string xml_escape(std::string_view text);

}  // namespace mimicit::remote
