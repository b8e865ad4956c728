// The XML of S3's multipart and listing answers, as AWS documents them and
// as moto and MinIO send them, and malformed documents.
#include "remote/s3_xml.h"

#include <gtest/gtest.h>

namespace mimicit::remote {
namespace {

TEST(S3Xml, InitiateMultipartUploadResult) {
  const std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>data</Bucket><Key>out/part.0.parquet</Key>"
      "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
      "</InitiateMultipartUploadResult>";
  EXPECT_EQ(xml_root_name(doc), "InitiateMultipartUploadResult");
  EXPECT_EQ(xml_element_text(doc, "UploadId"), "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  EXPECT_EQ(xml_element_text(doc, "Key"), "out/part.0.parquet");
  EXPECT_EQ(xml_element_text(doc, "Missing"), std::nullopt);
}

TEST(S3Xml, NamesArePrefixFreeAndEntitiesDecoded) {
  // <Key> must not match <KeyCount>, and the text's entities are decoded.
  const std::string doc =
      "<ListBucketResult><Name>b</Name><KeyCount>1</KeyCount><MaxKeys>1</MaxKeys>"
      "<Contents><Key>a&amp;b &lt;c&gt; &quot;d&apos; &#233;&#x4E2D;</Key>"
      "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></Contents></ListBucketResult>";
  EXPECT_EQ(xml_element_text(doc, "Key"), "a&b <c> \"d' \xC3\xA9\xE4\xB8\xAD");
  EXPECT_EQ(xml_element_text(doc, "KeyCount"), "1");
  EXPECT_EQ(xml_element_text(doc, "ETag"), "\"9b2cf535f27731c974343645a3985328\"");
  EXPECT_EQ(xml_element_text(doc, "Ke"), std::nullopt);
}

TEST(S3Xml, ErrorInsideA200Answer) {
  // CompleteMultipartUpload may answer 200 OK, then this.
  const std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code>"
      "<Message>We encountered an internal error. Please try again.</Message>"
      "<RequestId>656c76696e6727732072657175657374</RequestId></Error>";
  EXPECT_EQ(xml_root_name(doc), "Error");
  EXPECT_EQ(xml_element_text(doc, "Code"), "InternalError");
  EXPECT_EQ(xml_root_name("<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>"),
            "CompleteMultipartUploadResult");
}

TEST(S3Xml, EmptyAndSelfClosingElements) {
  EXPECT_EQ(xml_element_text("<A><Prefix/></A>", "Prefix"), "");
  EXPECT_EQ(xml_element_text("<A><Prefix></Prefix></A>", "Prefix"), "");
  EXPECT_EQ(xml_element_text("<A><Prefix attr=\"1\">p</Prefix></A>", "Prefix"), "p");
}

TEST(S3Xml, MalformedIsNulloptNeverAGuess) {
  EXPECT_EQ(xml_element_text("<UploadId>abc", "UploadId"), std::nullopt);                  // unterminated
  EXPECT_EQ(xml_element_text("<UploadId", "UploadId"), std::nullopt);                      // no '>'
  EXPECT_EQ(xml_element_text("<UploadId>a&nbsp;b</UploadId>", "UploadId"), std::nullopt);  // unknown entity
  EXPECT_EQ(xml_element_text("<UploadId>a&amp b</UploadId>", "UploadId"), std::nullopt);   // no ';'
  EXPECT_EQ(xml_element_text("<U>&#x110000;</U>", "U"), std::nullopt);                     // past U+10FFFF
  EXPECT_EQ(xml_element_text("<U>&#xD800;</U>", "U"), std::nullopt);                       // a surrogate
  EXPECT_EQ(xml_element_text("<U>&#0;</U>", "U"), std::nullopt);                           // NUL
  EXPECT_EQ(xml_element_text("<U>&#99999999999;</U>", "U"), std::nullopt);                 // overflow
  EXPECT_EQ(xml_element_text("<U><V>x</V></U>", "U"), std::nullopt);                       // not text
  EXPECT_EQ(xml_element_text("", "U"), std::nullopt);
  EXPECT_EQ(xml_element_text("<U>x</U>", ""), std::nullopt);
  EXPECT_EQ(xml_root_name(""), "");
  EXPECT_EQ(xml_root_name("<?xml version=\"1.0\""), "");
  EXPECT_EQ(xml_root_name("not xml"), "");
  EXPECT_EQ(xml_root_name("<Error"), "");
}

TEST(S3Xml, EscapeRoundTrips) {
  const std::string text = "\"etag\" & <tag> 'q'";
  EXPECT_EQ(xml_escape(text), "&quot;etag&quot; &amp; &lt;tag&gt; &apos;q&apos;");
  EXPECT_EQ(xml_element_text("<ETag>" + xml_escape(text) + "</ETag>", "ETag"), text);
}

TEST(S3Xml, EachUploadOfAListing) {
  const std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>data</Bucket><KeyMarker/><UploadIdMarker></UploadIdMarker><Prefix>out/</Prefix>"
      "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
      "<Upload><Key>out/part.0.parquet</Key><UploadId>id-1</UploadId>"
      "<Initiator><ID>x</ID></Initiator></Upload>"
      "<Upload><Key>out/a&amp;b</Key><UploadId>id-2</UploadId></Upload>"
      "<Uploads>not an Upload</Uploads>"
      "</ListMultipartUploadsResult>";
  const auto uploads = xml_elements(doc, "Upload");
  ASSERT_EQ(uploads.size(), 2u);
  EXPECT_EQ(xml_element_text(uploads[0], "Key"), "out/part.0.parquet");
  EXPECT_EQ(xml_element_text(uploads[0], "UploadId"), "id-1");
  EXPECT_EQ(xml_element_text(uploads[1], "Key"), "out/a&b");
  EXPECT_EQ(xml_element_text(uploads[1], "UploadId"), "id-2");
  EXPECT_TRUE(xml_elements("<R></R>", "Upload").empty());
  EXPECT_EQ(xml_elements("<R><Upload>a</Upload><Upload>b", "Upload").size(), 1u);  // stops at the cut
}

}  // namespace
}  // namespace mimicit::remote
