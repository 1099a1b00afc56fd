"""The XML namespace of STS responses."""

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
