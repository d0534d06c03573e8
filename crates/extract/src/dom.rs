//! A compact, read-only copy of the parsed document in pre-order, so that every later pass is a loop over
//! an index range instead of a recursive walk: the subtree of node `i` is exactly `i..nodes[i].end`.

use dom_query::{Document, LocalName, NodeData, NodeRef};

/// One node of the flattened tree.
pub struct Node {
    /// Index of the parent; the root is its own parent.
    pub parent: u32,
    /// One past the last node of this subtree.
    pub end: u32,
    /// Element name, or `None` for text.
    pub tag: Option<LocalName>,
    /// Attributes (name lower-cased by the parser), for elements.
    pub attrs: Vec<(LocalName, String)>,
    /// Text content, for text nodes.
    pub text: String,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| &**k == name).map(|(_, v)| v.as_str())
    }

    pub fn is(&self, tag: &str) -> bool {
        self.tag.as_deref() == Some(tag)
    }

    pub fn tag_str(&self) -> &str {
        self.tag.as_deref().unwrap_or("")
    }
}

/// The flattened document plus what was lifted out of it while flattening.
pub struct Dom {
    pub nodes: Vec<Node>,
    /// Contents of `<script type="application/ld+json">`.
    pub json_ld: Vec<String>,
    /// `<title>` text.
    pub title: Option<String>,
}

/// Subtrees that never hold article text and are dropped while copying.
fn dropped(tag: &str) -> bool {
    matches!(
        tag,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "canvas"
            | "iframe"
            | "object"
            | "embed"
            | "select"
            | "textarea"
            | "button"
            | "input"
            | "audio"
            | "video"
            | "map"
            | "dialog"
    )
}

/// Attributes some later pass reads; the rest (tracking data-*, handlers, layout) is not copied.
fn kept_attr(name: &str) -> bool {
    matches!(
        name,
        "class"
            | "id"
            | "href"
            | "src"
            | "data-src"
            | "data-original"
            | "data-lazy-src"
            | "srcset"
            | "data-srcset"
            | "alt"
            | "width"
            | "hidden"
            | "aria-hidden"
            | "style"
            | "role"
            | "itemprop"
            | "property"
            | "name"
            | "content"
            | "http-equiv"
            | "rel"
            | "datetime"
            | "lang"
            | "xml:lang"
            | "type"
    )
}

impl Dom {
    pub fn parse(source: &str) -> Dom {
        let doc = Document::from(source);
        let mut dom = Dom { nodes: Vec::with_capacity(doc.tree.len()), json_ld: Vec::new(), title: None };
        let mut stack: Vec<(NodeRef<'_>, u32)> = vec![(doc.tree.root(), 0)];
        while let Some((node, parent)) = stack.pop() {
            let idx = dom.nodes.len() as u32;
            let mut keep_children = true;
            let pushed = node.query(|tn| match &tn.data {
                NodeData::Document | NodeData::Fragment => Some(Node {
                    parent,
                    end: 0,
                    tag: Some(LocalName::from("#document")),
                    attrs: Vec::new(),
                    text: String::new(),
                }),
                NodeData::Text { contents } => {
                    Some(Node { parent, end: 0, tag: None, attrs: Vec::new(), text: contents.to_string() })
                }
                NodeData::Element(el) => {
                    let name = &el.name.local;
                    if dropped(name) {
                        keep_children = false;
                        if &**name == "script"
                            && el.attrs.iter().any(|a| &*a.name.local == "type" && a.value.contains("ld+json"))
                        {
                            return Some(Node {
                                parent,
                                end: 0,
                                tag: Some(name.clone()),
                                attrs: Vec::new(),
                                text: String::new(),
                            });
                        }
                        return None;
                    }
                    Some(Node {
                        parent,
                        end: 0,
                        tag: Some(name.clone()),
                        attrs: el
                            .attrs
                            .iter()
                            .filter(|a| kept_attr(&a.name.local))
                            .map(|a| (a.name.local.clone(), a.value.to_string()))
                            .collect(),
                        text: String::new(),
                    })
                }
                _ => None,
            });
            let Some(Some(mut n)) = pushed else { continue };
            if n.is("script") {
                let text: String = node
                    .children_it(false)
                    .filter_map(|c| {
                        c.query(|t| match &t.data {
                            NodeData::Text { contents } => Some(contents.to_string()),
                            _ => None,
                        })
                        .flatten()
                    })
                    .collect();
                dom.json_ld.push(text);
                continue;
            }
            if n.is("title") {
                if dom.title.is_none() {
                    dom.title = Some(node.text().to_string());
                }
                keep_children = false;
            }
            if n.is("#document") {
                n.parent = 0;
            }
            dom.nodes.push(n);
            if keep_children {
                // Last child first, so that the LIFO stack yields them in document order.
                let mut child = node.last_child();
                while let Some(c) = child {
                    child = c.prev_sibling();
                    stack.push((c, idx));
                }
            }
        }
        let n = dom.nodes.len();
        for i in 0..n {
            dom.nodes[i].end = i as u32 + 1;
        }
        for i in (1..n).rev() {
            let p = dom.nodes[i].parent as usize;
            let e = dom.nodes[i].end;
            if dom.nodes[p].end < e {
                dom.nodes[p].end = e;
            }
        }
        dom
    }

    /// Children of `i`, in order.
    pub fn children(&self, i: usize) -> Children<'_> {
        Children { dom: self, next: i + 1, end: self.nodes[i].end as usize }
    }
}

/// Iterator over a node's children.
pub struct Children<'a> {
    dom: &'a Dom,
    next: usize,
    end: usize,
}

impl Iterator for Children<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let i = self.next;
        self.next = self.dom.nodes[i].end as usize;
        Some(i)
    }
}
